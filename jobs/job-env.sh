# Sourced by the job scripts (pipeline.sh, elpasolite-benchmark.sh, property-design.sh), by hand
# or inside a Slurm job. Sets:
#   MATGAN_HOME  the checkout this file is in
#   bin          the binary: $BIN, else $MATGAN_HOME/.build/release/matgan-dist
#   RANKS        the rank count: Slurm's SLURM_NTASKS in a job, else $RANKS (default 2)
#   launch       how ranks start: in a job `srun --mpi=PMI` (SLURM_MPI_TYPE if set, else pmix
#                when srun offers it) or mpirun inside the allocation; elsewhere `mpirun -np RANKS`
# and defines `stage NAME COMMAND...`, which runs one stage of a job and requeues the job when
# Slurm's warning signal stopped the stage.
# shellcheck disable=SC2034 # bin and launch are for the scripts that source this file

MATGAN_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${BIN:-$MATGAN_HOME/.build/release/matgan-dist}
if [[ ! -x $bin ]]; then
    echo "error: no matgan-dist binary at $bin: build it with $MATGAN_HOME/scripts/setup.sh" \
        "(swift build -c release --product matgan-dist) or set BIN=/path/to/matgan-dist" >&2
    exit 2
fi

if [[ -n ${SLURM_JOB_ID:-} ]]; then
    # srun starts one task per node when the job asked for nodes only.
    RANKS=${SLURM_NTASKS:-${SLURM_JOB_NUM_NODES:-1}}
else
    RANKS=${RANKS:-2}
fi
# shellcheck source=scripts/mpi-env.sh
source "$MATGAN_HOME/scripts/mpi-env.sh"

if [[ -z ${SLURM_JOB_ID:-} ]]; then
    launch=(mpirun -np "$RANKS")
elif [[ -n ${SLURM_MPI_TYPE:-} ]]; then
    launch=(srun --mpi="$SLURM_MPI_TYPE")
    echo "job-env: $RANKS rank(s) start with srun --mpi=$SLURM_MPI_TYPE (SLURM_MPI_TYPE)"
# Debian's Open MPI finds its peers under srun only through PMIx; Slurm's default plugin (none)
# and pmi2 leave every rank to abort in MPI_Init.
elif srun --mpi=list 2>&1 | grep -qE '^[[:space:]]*pmix$'; then
    launch=(srun --mpi=pmix)
    echo "job-env: $RANKS rank(s) start with srun --mpi=pmix (Open MPI talks to Slurm through PMIx)"
else
    # mpirun inside an allocation starts its daemons with srun and needs no PMI from Slurm.
    launch=(mpirun -np "$RANKS")
    echo "job-env: srun --mpi=list offers no pmix plugin; $RANKS rank(s) start with mpirun -np $RANKS inside the allocation"
fi

# Runs stage NAME (COMMAND...). A stage that exits 143 inside a Slurm job was stopped by SIGTERM:
# Slurm's warning before the time limit (--signal=TERM@T reaches every job step; train writes
# its checkpoint first). The job then requeues itself, and its next run starts over and resumes
# training from the checkpoint; outputs of the stopped stage were never renamed to their final
# names. Any other failure ends the job with the stage's status.
stage() {
    local name=$1 status=0
    shift
    echo "$(date '+%F %T') stage $name: $*"
    "$@" || status=$?
    if ((status == 0)); then return 0; fi
    if ((status == 143)) && [[ -n ${SLURM_JOB_ID:-} ]]; then
        echo "$(date '+%F %T') stage $name stopped by SIGTERM (Slurm's warning before the time limit):" \
            "requeueing job $SLURM_JOB_ID (restart $((${SLURM_RESTART_COUNT:-0} + 1)))"
        # The requeue ends this run of the job script.
        scontrol requeue "$SLURM_JOB_ID" && exit 0
        echo "error: job $SLURM_JOB_ID cannot be requeued (submitted with --no-requeue?);" \
            "submit it again with the same RUN to continue" >&2
    else
        echo "error: stage $name failed with exit status $status" >&2
    fi
    exit "$status"
}
