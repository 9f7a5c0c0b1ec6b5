# Sourced by the job scripts: sensible defaults for mpirun on one machine. Set RANKS first to the
# number of ranks the script will start (default 2).
# Root may run mpirun in a container or CI; OpenMPI refuses without these.
if [[ $(id -u) -eq 0 ]]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
# Ranks share the cores: one BLAS thread each.
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
# Faster large allreduces in this kind of VM (docs/platform.md).
export OMPI_MCA_btl_vader_single_copy_mechanism=${OMPI_MCA_btl_vader_single_copy_mechanism:-none}
# Ranks that fill every core (a laptop, CI, --oversubscribe) must not busy-poll while they wait
# in a collective, or they starve the rank that is still working and anything else on the
# machine; under Slurm each rank has its own core.
if [[ -z "${SLURM_JOB_ID:-}" ]] && (( ${RANKS:-2} >= $(nproc) )); then
    export OMPI_MCA_mpi_yield_when_idle=${OMPI_MCA_mpi_yield_when_idle:-1}
fi
