#!/usr/bin/env bash
# Issue 7's pipeline: property models, band-gap-targeted MatGAN generation with its predicted
# distributions (MatGAN Fig. 6), Li formation energies (Fig. 4b), and active generative design
# (start sizes 300 and 1,000, the kappa sweep). Runnable by hand or inside a Slurm allocation:
#   RUN=runs/design TRAIN_TIME=2h RANKS=2 jobs/property-design.sh
# RUN defaults to runs/JOBNAME-JOBID in a Slurm job and runs/design by hand; TRAIN_TIME (default
# 2h) and SAMPLES budget the MatGAN runs; RANKS, BIN, SLURM_MPI_TYPE: see jobs/job-env.sh.
set -euo pipefail
# shellcheck source=jobs/job-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/job-env.sh"
if [[ -n ${SLURM_JOB_ID:-} ]]; then run=${RUN:-runs/$SLURM_JOB_NAME-$SLURM_JOB_ID}; else run=${RUN:-runs/design}; fi
# The published data: $MATGAN_DATA, else shared/data beside the checkout, else the checkout's
# compressed copies (matgan-dist reads NAME.csv from NAME.csv.gz).
data=${MATGAN_DATA:-$MATGAN_HOME/../shared/data}
[[ -d "$data" ]] || data=$MATGAN_HOME/datasets
time=${TRAIN_TIME:-2h}
mkdir -p "$run"
# README, "Recipe study"; the budget is wall-clock time, so the moving average rather than a
# cosine decay (which needs planned epochs) settles the generator the runs end with.
recipe=(--no-critic-batch-norm --init he --critic-iterations 5 --critic-lr 1e-3 --generator-lr 1e-3 --ema-decay 0.999)

# Property models: band gap (Magpie + trees) and formation energy (ElemNet on OQMD's split).
[[ -f "$run/gap-rf.h5" ]] || "${launch[@]}" "$bin" property train --model rf --data "$data/mp_band_gap_matbench.csv" --group-by-formula -o "$run/gap-rf.h5"
[[ -f "$run/eform-elemnet.h5" ]] || "${launch[@]}" "$bin" property train --model elemnet --data "$data/oqmd_formation_enthalpy.csv" -o "$run/eform-elemnet.h5"

# Band-gap-targeted generation: MatGAN on the gap > 0 subset, then predicted-gap distributions.
[[ -f "$run/bandgap.h5" ]] || "$bin" prepare --preset mp-bandgap --output "$run/bandgap.h5"
stage "band-gap MatGAN" "${launch[@]}" "$bin" train --model matgan-mp --data "$run/bandgap.h5" --run-dir "$run/bandgap-gan" --resume --time-limit "$time" "${recipe[@]}"
"${launch[@]}" "$bin" generate --checkpoint "$run/bandgap-gan/checkpoint.h5" --samples "${SAMPLES:-1000000}" --output "$run/bandgap-samples.h5"
"${launch[@]}" "$bin" property distribution --model "$run/gap-rf.h5" --samples "$run/bandgap-samples.h5" --data "$run/bandgap.h5" \
    --random 100000 --threshold 3 --output-prefix "$run/bandgap-distribution"

# Li formation energies of MatGAN-MP samples (Fig. 4b).
[[ -f "$run/mp.h5" ]] || "$bin" prepare --preset mp --output "$run/mp.h5"
stage "MP MatGAN" "${launch[@]}" "$bin" train --model matgan-mp --data "$run/mp.h5" --run-dir "$run/mp-gan" --resume --time-limit "$time" "${recipe[@]}"
"${launch[@]}" "$bin" generate --checkpoint "$run/mp-gan/checkpoint.h5" --samples "${SAMPLES:-2000000}" --output "$run/mp-samples.h5"
"${launch[@]}" "$bin" property distribution --model "$run/eform-elemnet.h5" --samples "$run/mp-samples.h5" --data "$run/mp.h5" \
    --random 20000 --contains Li --output-prefix "$run/li-formation-energy"

# Active generative design: every labelled MP band gap (metals included: undecodable suggestions count as 0 eV).
[[ -f "$run/gap-all.h5" ]] || "$bin" prepare --input "$data/mp_band_gap_matbench.csv" --target-column band_gap_ev --duplicates mean \
    --output "$run/gap-all.h5"
stage autoencoder "${launch[@]}" "$bin" train --model active-ae --data "$run/gap-all.h5" --run-dir "$run/active-ae" --resume --time-limit "$time"
[[ -f "$run/oracle-rf.h5" ]] || "${launch[@]}" "$bin" property train --model rf --data "$run/gap-all.h5" -o "$run/oracle-rf.h5"
shared=(--autoencoder "$run/active-ae/checkpoint.h5" --oracle "$run/oracle-rf.h5" --data "$run/gap-all.h5" --threshold 4)
for start in 300 1000; do
  "${launch[@]}" "$bin" active run "${shared[@]}" --start-size "$start" --kappa 10 --samples "$run/mp-samples.h5" \
      --screen-thresholds 6,5,4 --output-dir "$run/active-$start"
done
"${launch[@]}" "$bin" active sweep-kappa "${shared[@]}" --start-size 300 --output-dir "$run/kappa-sweep"
