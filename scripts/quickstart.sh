#!/usr/bin/env bash
# Sets up matgan-dist on a fresh Debian machine and runs the main job on the embedded default
# data with two MPI ranks.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/mpi-env.sh
bin=.build/release/matgan-dist
mpirun -np 2 "$bin" info
mpirun -np 2 "$bin" selftest
