#!/usr/bin/env bash
# prepare -> train -> generate -> evaluate for one MatGAN model. Used by the .sbatch scripts and
# runnable by hand:  model=matgan-mp preset=mp run=runs/matgan-mp jobs/pipeline.sh [extra train flags]
# LAUNCH is how ranks start: srun inside Slurm, mpirun -np ${RANKS:-2} elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/mpi-env.sh
: "${model:?set model=matgan-mp|matgan-oqmd}" "${preset:?set preset=mp|oqmd}" "${run:?set run=DIR}"
bin=${BIN:-.build/release/matgan-dist}
if [[ -n "${SLURM_JOB_ID:-}" ]]; then launch=(srun); else launch=(mpirun -np "${RANKS:-2}"); fi
mkdir -p "$run"

[[ -f "$run/data.h5" ]] || "${launch[@]}" "$bin" prepare --preset "$preset" --output "$run/data.h5"
# --resume makes a requeued job continue from its last checkpoint.
"${launch[@]}" "$bin" train --model "$model" --data "$run/data.h5" --run-dir "$run" --resume "$@"
"${launch[@]}" "$bin" generate --checkpoint "$run/checkpoint.h5" --samples "${SAMPLES:-2000000}" --output "$run/samples.h5"
"${launch[@]}" "$bin" evaluate --samples "$run/samples.h5" --data "$run/data.h5" --output-dir "$run/evaluation"
