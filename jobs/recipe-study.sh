#!/usr/bin/env bash
# The MatGAN-MP recipe study of the README ("Recipe study"): each row trains from scratch for the
# same wall-clock budget on the same ranks, with quality evaluations every 16,000 training samples,
# then `matgan-dist compare-runs` tabulates the last evaluation of every row and draws the curves.
#   STUDY      output directory (default runs/study); DATA defaults to STUDY/mp.h5, prepared when missing
#   ROW_TIME   wall-clock budget of each row (default 15m); EPOCHS plans the cosine decay over the
#              epochs that budget covers (default 3, about 15 minutes on two idle cores)
#   ROWS       the rows to run, by name (default: all, in the order below)
#   RANKS, BIN see jobs/job-env.sh
# A finished row leaves STUDY/NAME.done and is skipped when the script runs again.
set -euo pipefail
# shellcheck source=jobs/job-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/job-env.sh"
study=${STUDY:-runs/study}
data=${DATA:-$study/mp.h5}
mkdir -p "$study"
[[ -f $data ]] || "${launch[@]}" "$bin" prepare --preset mp --output "$data"

# The README's recipe: no batch norm in the critic, He initialisation, Adam at 1e-3 annealed by
# a cosine to 0. Larger global batches (what 8 ranks of 32 and 64 ranks of 16 would run) scale
# the rates by the square-root or linear rule after a warm-up; their EMA decay is
# 0.999^(batch/32), so the average spans the same number of samples.
recipe=(--no-critic-batch-norm --init he --critic-lr 1e-3 --generator-lr 1e-3 --lr-decay cosine)
declare -A rows=(
    [batch32]="--batch-size 32 --ema-decay 0.999 --eval-every 500"
    [batch256-sqrt]="--batch-size 256 --lr-scaling sqrt --warmup-steps 50 --ema-decay 0.992 --eval-every 62"
    [batch1024-sqrt]="--batch-size 1024 --lr-scaling sqrt --warmup-steps 15 --ema-decay 0.968 --eval-every 16"
    [batch256-linear]="--batch-size 256 --lr-scaling linear --warmup-steps 50 --ema-decay 0.992 --eval-every 62"
    [batch32-critic5]="--batch-size 32 --critic-iterations 5 --ema-decay 0.999 --eval-every 100"
)
order=(batch32 batch256-sqrt batch256-linear batch1024-sqrt batch32-critic5)
for name in ${ROWS:-${order[*]}}; do
    [[ -n ${rows[$name]:-} ]] || { echo "error: ROWS names '$name'; the rows are: ${order[*]}" >&2; exit 2; }
    [[ -f $study/$name.done ]] && { echo "recipe study: $name done, skipped"; continue; }
    # shellcheck disable=SC2086 # the row's options split on spaces
    "${launch[@]}" "$bin" train --model matgan-mp --data "$data" --run-dir "$study/$name" --overwrite \
        "${recipe[@]}" ${rows[$name]} --epochs "${EPOCHS:-3}" --time-limit "${ROW_TIME:-15m}" \
        --checkpoint-every 1000 --eval-samples 20000 2>&1 | tee "$study/$name.log"
    touch "$study/$name.done"
done
finished=()
for name in "${order[@]}"; do [[ -f $study/$name.done ]] && finished+=("$study/$name"); done
"$bin" compare-runs "${finished[@]}" --plot "$study/comparison.svg" | tee "$study/comparison.md"
