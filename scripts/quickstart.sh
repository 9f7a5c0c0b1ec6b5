#!/usr/bin/env bash
# Sets up matgan-dist on a fresh Debian machine and runs the main job on the embedded default
# data with two MPI ranks: prepare Materials Project, train MatGAN for a fixed number of epochs,
# generate 200,000 compositions, evaluate them. EPOCHS and SAMPLES change the budget; outputs go
# to RUN (default runs/quickstart). Running it again reuses what is there and continues training
# when EPOCHS grew.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
RANKS=2
source scripts/mpi-env.sh
bin=.build/release/matgan-dist
run=${RUN:-runs/quickstart}
mkdir -p "$run"

mpirun -np $RANKS "$bin" info
[[ -f "$run/mp.h5" ]] || mpirun -np $RANKS "$bin" prepare --preset mp --output "$run/mp.h5"
# The README's recipe ("Recipe study"): no batch norm in the critic, He initialisation, five
# critic updates per generator update, Adam at 1e-3 annealed to 0 over the run; MatGAN's own
# settings learn far more slowly.
mpirun -np $RANKS "$bin" train --model matgan-mp --data "$run/mp.h5" --run-dir "$run/matgan-mp" \
    --no-critic-batch-norm --init he --critic-iterations 5 --critic-lr 1e-3 --generator-lr 1e-3 --lr-decay cosine \
    --epochs "${EPOCHS:-3}" --checkpoint-every 500 --log-every 100 --resume
mpirun -np $RANKS "$bin" generate --checkpoint "$run/matgan-mp/checkpoint.h5" --samples "${SAMPLES:-200000}" \
    --output "$run/samples.h5"
mpirun -np $RANKS "$bin" evaluate --samples "$run/samples.h5" --data "$run/mp.h5" --output-dir "$run/evaluation"
echo "quickstart outputs: $run (mp.h5, matgan-mp/checkpoint.h5, matgan-mp/metrics.jsonl, samples.h5, evaluation/)"
