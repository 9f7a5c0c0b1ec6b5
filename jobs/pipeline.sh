#!/usr/bin/env bash
# prepare -> train -> generate -> evaluate for one MatGAN model. Run by the .sbatch scripts, or by
# hand:  MODEL=matgan-mp PRESET=mp RUN=runs/matgan-mp jobs/pipeline.sh [extra train options]
#   MODEL       matgan-mp | matgan-oqmd
#   PRESET      the prepare preset: mp | oqmd
#   RUN         run directory, relative to the working directory (default: runs/JOBNAME-JOBID in a
#               Slurm job, so that two submissions never share one; runs/MODEL by hand)
#   DATA        a prepared file to train on (default: RUN/data.h5, prepared when missing)
#   TRAIN_TIME, EPOCHS, STEPS   training budget (train --time-limit, --epochs, --steps); with none
#               of them train's default applies, and a Slurm job stops at its time limit
#   SAMPLES     compositions to generate (default 2,000,000)
#   RANKS, BIN, SLURM_MPI_TYPE  see jobs/job-env.sh
# Requeue-safe: train always runs with --resume, and a stage stopped by Slurm's warning signal
# requeues the job (jobs/job-env.sh, `stage`); generate and evaluate run only once train has
# reached its stop condition (exit 0).
set -euo pipefail
# shellcheck source=jobs/job-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/job-env.sh"
: "${MODEL:?set MODEL=matgan-mp|matgan-oqmd}" "${PRESET:?set PRESET=mp|oqmd}"
if [[ -n ${SLURM_JOB_ID:-} ]]; then run=${RUN:-runs/$SLURM_JOB_NAME-$SLURM_JOB_ID}; else run=${RUN:-runs/$MODEL}; fi
data=${DATA:-$run/data.h5}
budget=()
[[ -n ${TRAIN_TIME:-} ]] && budget+=(--time-limit "$TRAIN_TIME")
[[ -n ${EPOCHS:-} ]] && budget+=(--epochs "$EPOCHS")
[[ -n ${STEPS:-} ]] && budget+=(--steps "$STEPS")
mkdir -p "$run"
echo "pipeline: $MODEL in $(realpath "$run") (restart ${SLURM_RESTART_COUNT:-0}), budget: ${budget[*]:-train defaults} $*"

# prepare writes under a temporary name and renames, so an existing file is complete.
[[ -f $data ]] || stage prepare "${launch[@]}" "$bin" prepare --preset "$PRESET" --output "$data"
stage train "${launch[@]}" "$bin" train --model "$MODEL" --data "$data" --run-dir "$run" --resume "${budget[@]}" "$@"
stage generate "${launch[@]}" "$bin" generate --checkpoint "$run/checkpoint.h5" --samples "${SAMPLES:-2000000}" \
    --output "$run/samples.h5"
stage evaluate "${launch[@]}" "$bin" evaluate --samples "$run/samples.h5" --data "$data" --output-dir "$run/evaluation"
echo "pipeline: done: $run (checkpoint.h5, metrics.jsonl, samples.h5, evaluation/)"
