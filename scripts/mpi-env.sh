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
# More ranks than cores (a laptop, CI, --oversubscribe): a rank waiting in a collective must
# yield its core instead of busy-polling, or it starves the ranks still computing (4 ranks on 2
# cores trained 2.6x faster). With one rank per core, yielding only hands cores to other
# processes (13 % slower beside a busy process), so it stays off (docs/platform.md).
if [[ -z "${SLURM_JOB_ID:-}" ]] && (( ${RANKS:-2} > $(nproc) )); then
    export OMPI_MCA_mpi_yield_when_idle=${OMPI_MCA_mpi_yield_when_idle:-1}
fi
