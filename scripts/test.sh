#!/usr/bin/env bash
# Runs the whole test suite from a fresh clone: installs the system libraries, Slurm and munge
# (and h5py, which the HDF5 interoperability test reads files with), then `swift test`. MPI tests
# start real `mpirun` jobs of the built binary; the Slurm tests start a local two-node cluster
# (scripts/slurm-local.sh) and submit the real job scripts to it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --no-build --slurm
python3 -c "import h5py" 2>/dev/null || python3 -m pip install --quiet h5py \
    || echo "h5py could not be installed; the h5py interoperability test will be skipped" >&2
swift test "$@"
