#!/usr/bin/env bash
# Türk et al.'s elpasolite benchmark end to end: oracle, class-1 tables of K fits per model,
# class-5 sweeps. Run by jobs/elpasolite.sbatch, or by hand:
#   RUN=runs/elpasolite FITS=5 RANKS=2 FIT_GROUPS=2 jobs/elpasolite-benchmark.sh [extra sweep options]
#   RUN             run directory (default: runs/JOBNAME-JOBID in a Slurm job, runs/elpasolite by hand)
#   FITS            fits per model (default 5); FIT_GROUPS (a divisor of the rank count, at most
#                   FITS) trains that many side by side, each data-parallel over its share of the
#                   ranks (which changes only the order of gradient sums)
#   STEPS           updates per cVAE and cGAN fit (default: the paper's, 10,000 and 200,000)
#   DQN_STEPS       updates per DQN fit (default 10,000 instead of the paper's 800,000; README)
#   VALID_SAMPLES   valid samples of each class-1 sweep (default 10,000)
#   CLASS5_SAMPLES  valid samples of each class-5 sweep (default 25,000,000)
#   ORACLE_ARGS     options of `elpasolite oracle`, e.g. "--widths 8 --regularisations 1e-4" to
#                   skip most of the cross-validation
#   RANKS, BIN, SLURM_MPI_TYPE  see jobs/job-env.sh
# Extra options go to every `elpasolite sweep --fits`. A rerun keeps the oracle and every table
# already written and trains the fits of an unfinished model afresh.
set -euo pipefail
# shellcheck source=jobs/job-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/job-env.sh"
if [[ -n ${SLURM_JOB_ID:-} ]]; then run=${RUN:-runs/$SLURM_JOB_NAME-$SLURM_JOB_ID}; else run=${RUN:-runs/elpasolite}; fi
read -ra oracle_args <<<"${ORACLE_ARGS:-}"
mkdir -p "$run"
echo "elpasolite benchmark in $(realpath "$run"): ${FITS:-5} fit(s) per model on $RANKS rank(s)"

# The paper trains on all 10,590 DFT rows and their A/B swaps (21,112), so nothing is held out.
[[ -f $run/data.h5 ]] || stage prepare "$bin" prepare --preset elpasolite --holdout-fraction 0 --output "$run/data.h5"
[[ -f $run/oracle.h5 ]] || stage oracle "${launch[@]}" "$bin" elpasolite oracle --output "$run/oracle.h5" "${oracle_args[@]}"

for model in cvae cgan dqn; do
    [[ -f $run/$model-class1-fits.csv ]] && continue   # written last, so the model is done
    steps=()
    if [[ $model == dqn ]]; then steps=(--steps "${DQN_STEPS:-10000}"); elif [[ -n ${STEPS:-} ]]; then steps=(--steps "$STEPS"); fi
    # --overwrite: fits of a rerun start afresh where an interrupted run left checkpoints.
    stage "$model class 1" "${launch[@]}" "$bin" elpasolite sweep --fits "${FITS:-5}" --fit-groups "${FIT_GROUPS:-1}" \
        --model "elpasolite-$model" "${steps[@]}" --data "$run/data.h5" --oracle "$run/oracle.h5" --class 1 \
        --valid-samples "${VALID_SAMPLES:-10000}" --run-dir "$run/fits-$model" --overwrite \
        --output-prefix "$run/$model-class1" "$@"
done

for model in cvae cgan; do
    stage "$model class 5" "${launch[@]}" "$bin" elpasolite sweep --checkpoint "$run/fits-$model/fit-1/checkpoint.h5" \
        --oracle "$run/oracle.h5" --class 5 --valid-samples "${CLASS5_SAMPLES:-25000000}" --output-prefix "$run/$model-class5"
done
echo "elpasolite benchmark: done: $run"
