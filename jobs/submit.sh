#!/usr/bin/env bash
# sbatch, but a request this cluster can never run fails now instead of pending for ever:
#   jobs/submit.sh [sbatch options] jobs/NAME.sbatch [job arguments]
# Slurm accepts a job that asks for more nodes, tasks or time than its partition has and leaves
# it pending (reason PartitionConfig, PartitionNodeLimit, PartitionTimeLimit) unless the site set
# EnforcePartLimits. `sbatch --test-only` with the same options and #SBATCH lines asks the
# scheduler without submitting and fails on such a request, so this runs it first. Prints the
# job id. MATGAN_HOME is exported, so the job finds this checkout wherever it was submitted from.
set -euo pipefail
(($#)) || { echo "usage: $0 [sbatch options] jobs/NAME.sbatch [job arguments]" >&2; exit 2; }
MATGAN_HOME=${MATGAN_HOME:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
export MATGAN_HOME
command -v sbatch >/dev/null || { echo "error: sbatch not found: submit from a Slurm login node" >&2; exit 2; }
if ! check=$(sbatch --test-only "$@" 2>&1); then
    echo "error: Slurm cannot run this request on its partition (sbatch --test-only: ${check##*: })." >&2
    echo "  Ask for fewer nodes, tasks (--ntasks) or less time (--time); sinfo shows what the partitions have." >&2
    exit 1
fi
sbatch --parsable "$@"
