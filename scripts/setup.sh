#!/usr/bin/env bash
# Installs the system libraries matgan-dist links against (OpenMPI, serial HDF5, OpenBLAS, zlib)
# and builds the release binary. Idempotent and non-interactive.
#   --no-build  install only
#   --slurm     also install Slurm and munge, for the local test cluster (scripts/slurm-local.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

build=yes
packages=(pkg-config libopenmpi-dev openmpi-bin libhdf5-dev hdf5-tools libopenblas-dev zlib1g-dev)
for option in "$@"; do
    case $option in
        --no-build) build=no ;;
        --slurm) packages+=(slurmctld slurmd slurm-client munge) ;;
        *) echo "usage: $0 [--no-build] [--slurm]" >&2; exit 2 ;;
    esac
done
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    sudo_cmd=()
    [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${sudo_cmd[@]}" apt-get update -q
    "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [[ $build == yes ]]; then
    swift build -c release --product matgan-dist
fi
