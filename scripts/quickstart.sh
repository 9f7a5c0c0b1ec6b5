#!/usr/bin/env bash
# Sets up matgan-dist on a fresh Debian machine and runs the main job on the embedded default
# data with two MPI ranks: prepare Materials Project, train MatGAN for 10 minutes, generate
# 200,000 compositions, evaluate them. Override the budget with TRAIN_TIME (e.g. 30m) and
# SAMPLES; outputs go to RUN (default runs/quickstart).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/mpi-env.sh
bin=.build/release/matgan-dist
run=${RUN:-runs/quickstart}
mkdir -p "$run"

mpirun -np 2 "$bin" info
[[ -f "$run/mp.h5" ]] || mpirun -np 2 "$bin" prepare --preset mp --output "$run/mp.h5"
# The critic without batch norm and Adam at 1e-4 learns within minutes; MatGAN's own settings
# (batch-norm critic, learning rates 1e-2 / 1e-3) need far longer (see README, "Training recipe").
mpirun -np 2 "$bin" train --model matgan-mp --data "$run/mp.h5" --run-dir "$run/matgan-mp" \
    --no-critic-batch-norm --init he --critic-lr 1e-4 --generator-lr 1e-4 \
    --time-limit "${TRAIN_TIME:-10m}" --checkpoint-every 2000 --log-every 200 --resume
mpirun -np 2 "$bin" generate --checkpoint "$run/matgan-mp/checkpoint.h5" --samples "${SAMPLES:-200000}" \
    --output "$run/samples.h5"
mpirun -np 2 "$bin" evaluate --samples "$run/samples.h5" --data "$run/mp.h5" --output-dir "$run/evaluation"
echo "quickstart outputs: $run (mp.h5, matgan-mp/checkpoint.h5, matgan-mp/metrics.jsonl, samples.h5, evaluation/)"
