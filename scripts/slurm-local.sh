#!/usr/bin/env bash
# A throw-away Slurm cluster on this machine, from Debian's packages (scripts/setup.sh --slurm
# installs them): one munged, one slurmctld and two slurmd daemons that emulate the nodes n1 and
# n2, each node with its own spool and TmpFS so that two job steps' PMIx servers never share a
# directory. Everything (configuration, keys, state, logs) lives in one directory, no system
# file is touched, and the daemons talk over 127.0.0.1.
#
#   scripts/slurm-local.sh start [DIR]    start (DIR default /tmp/matgan-slurm); prints the line to source
#   scripts/slurm-local.sh stop [DIR]     stop every daemon started in DIR
#   scripts/slurm-local.sh status [DIR]   sinfo of the running cluster
#
# Then `export SLURM_CONF=DIR/slurm.conf` makes sbatch, srun, squeue and scontrol use it.
# CPUS (per node, default 2) and SLURM_LOCAL_PORT (the first of three TCP ports, default the
# first free of 16817, 16827, ...) change the layout. Needs root: slurmd starts jobs as their user.
set -euo pipefail

command=${1:-}
dir=${2:-/tmp/matgan-slurm}
nodes=(n1 n2)

die() { echo "slurm-local: error: $*" >&2; exit 1; }

# Cancels the cluster's jobs (so slurmd ends their steps), then stops the daemons whose pid files
# are in $dir, politely, then for good.
stop() {
    local pidfile pid jobs
    if [[ -f $dir/ctld/slurmctld.pid ]] && kill -0 "$(<"$dir/ctld/slurmctld.pid")" 2>/dev/null; then
        jobs=$(SLURM_CONF=$dir/slurm.conf squeue -h -o %A 2>/dev/null || true)
        if [[ -n $jobs ]]; then
            # shellcheck disable=SC2086 # one job id per word
            SLURM_CONF=$dir/slurm.conf scancel $jobs 2>/dev/null || true
            for _ in $(seq 60); do
                [[ -z $(SLURM_CONF=$dir/slurm.conf squeue -h -o %A 2>/dev/null) ]] && break
                sleep 0.5
            done
        fi
    fi
    for pidfile in "$dir"/nodes/*/slurmd.pid "$dir/ctld/slurmctld.pid" "$dir/munge/munged.pid"; do
        [[ -f $pidfile ]] || continue
        pid=$(<"$pidfile")
        if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
            kill "$pid"
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
        fi
        rm -f "$pidfile"
    done
}

# Runs detached LOG COMMAND... without the caller's descriptors, output appended to LOG: a daemon
# that kept a pipe or socket of the caller open would make the caller wait for ever.
detached() {
    local log=$1
    shift
    (
        for fd in /proc/self/fd/*; do
            fd=${fd##*/}
            if ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null || true; fi
        done
        exec "$@" </dev/null >>"$log" 2>&1
    )
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() {
    [[ $(id -u) -eq 0 ]] || die "needs root (slurmd runs jobs as their owner)"
    local program
    for program in munged mungekey slurmctld slurmd sbatch srun scontrol sinfo; do
        command -v "$program" >/dev/null || die "$program not found; install Slurm and munge with scripts/setup.sh --slurm"
    done
    [[ -f $dir/slurm.conf ]] && [[ -f $dir/ctld/slurmctld.pid ]] && kill -0 "$(<"$dir/ctld/slurmctld.pid")" 2>/dev/null \
        && die "a cluster is already running in $dir; stop it first: $0 stop $dir"

    local base=${SLURM_LOCAL_PORT:-}
    if [[ -z $base ]]; then
        for base in $(seq 16817 10 17807); do
            port_free "$base" && port_free $((base + 1)) && port_free $((base + 2)) && break
        done
    fi
    local port
    for port in "$base" $((base + 1)) $((base + 2)); do
        port_free "$port" || die "TCP port $port is in use; set SLURM_LOCAL_PORT to the first of three free ports"
    done

    # Only a directory of an earlier local cluster is wiped.
    if [[ -n $(ls -A "$dir" 2>/dev/null) ]] && ! grep -qsx 'ClusterName=matgan-local' "$dir/slurm.conf"; then
        die "$dir is not empty and holds no earlier local cluster; give an empty or new directory"
    fi
    rm -rf "$dir"
    mkdir -p "$dir/munge" "$dir/ctld"
    chmod 700 "$dir" "$dir/munge"
    local node
    for node in "${nodes[@]}"; do mkdir -p "$dir/nodes/$node/spool" "$dir/nodes/$node/tmp"; done

    mungekey --create --keyfile="$dir/munge/munge.key" 2>/dev/null || dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
    chmod 600 "$dir/munge/munge.key"
    detached "$dir/munge/munged.log" munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
        --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed" \
        || die "munged did not start; see $dir/munge/munged.log"

    local cpus=${CPUS:-2}
    # %n: each emulated node gets its own spool and TmpFS (the PMIx plugin's server directories).
    cat >"$dir/slurm.conf" <<EOF
ClusterName=matgan-local
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$base
SlurmdPort=$((base + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/ctld
SlurmctldPidFile=$dir/ctld/slurmctld.pid
SlurmctldLogFile=$dir/ctld/slurmctld.log
SlurmdSpoolDir=$dir/nodes/%n/spool
SlurmdPidFile=$dir/nodes/%n/slurmd.pid
SlurmdLogFile=$dir/nodes/%n/slurmd.log
TmpFS=$dir/nodes/%n/tmp
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/pgid
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=pmix
ReturnToService=2
SlurmdParameters=config_overrides
KillWait=10
InactiveLimit=0
MinJobAge=600
NodeName=n1 NodeHostname=localhost NodeAddr=127.0.0.1 Port=$((base + 1)) CPUs=$cpus State=UNKNOWN
NodeName=n2 NodeHostname=localhost NodeAddr=127.0.0.1 Port=$((base + 2)) CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=n1,n2 Default=YES MaxTime=INFINITE State=UP
EOF
    export SLURM_CONF=$dir/slurm.conf
    detached "$dir/ctld/slurmctld.log" slurmctld -f "$SLURM_CONF" -i || { stop; die "slurmctld did not start; see $dir/ctld/slurmctld.log"; }
    for node in "${nodes[@]}"; do
        detached "$dir/nodes/$node/slurmd.log" slurmd -f "$SLURM_CONF" -N "$node" || { stop; die "slurmd $node did not start; see $dir/nodes/$node/slurmd.log"; }
    done
    local idle=""
    for _ in $(seq 60); do
        idle=$(sinfo -h -N -t idle -o %N 2>/dev/null | sort -u | wc -l)
        [[ $idle -eq ${#nodes[@]} ]] && break
        sleep 0.5
    done
    if [[ $idle -ne ${#nodes[@]} ]]; then
        sinfo -N >&2 || true
        stop
        die "the nodes did not become idle in 30 s; see $dir/ctld/slurmctld.log and $dir/nodes/*/slurmd.log"
    fi
    echo "slurm-local: cluster matgan-local up in $dir (nodes ${nodes[*]}, $cpus CPUs each, slurmctld on 127.0.0.1:$base)"
    echo "export SLURM_CONF=$SLURM_CONF"
}

case $command in
    start) start ;;
    stop) stop; echo "slurm-local: stopped the cluster in $dir" ;;
    status) SLURM_CONF=$dir/slurm.conf sinfo -N ;;
    *) echo "usage: $0 start|stop|status [DIR]" >&2; exit 2 ;;
esac
