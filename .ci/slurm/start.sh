#!/usr/bin/env bash
# Start a single-node SLURM cluster on 127.0.0.1 for the workflow tests.
#   bash .ci/slurm/start.sh DIR    config, state, logs and pids all go under DIR
# Stop with .ci/slurm/stop.sh DIR. Changes outside DIR (as root, for CI machines):
#   /etc/slurm/slurm.conf  a link to DIR/slurm.conf, removed by stop.sh. It must be there:
#       the jobstep plugin drops SLURM_CONF (all SLURM_* but the job id) before the `srun`
#       inside each job, so srun only finds the default path. An existing file that is not such
#       a link is never touched: start.sh fails instead.
#   /etc/hosts  gets "127.0.0.1 <hostname>" as its first line if the host name does not resolve
#       to a loopback address (it stays: other tools may have resolved the name since).
# Exit 3: not root, or the Debian packages are missing and cannot be installed (callers skip).
#
# No systemd, no cgroups, no slurmdbd: processes are tracked through /proc
# (proctrack/linuxproc, task/none), and jobs are polled with squeue instead of sacct, so
# snakemake must get `--slurm-status-command squeue`.
set -euo pipefail

DIR=$(realpath -m "${1:?usage: start.sh DIR}")
PACKAGES=(munge slurmctld slurmd slurm-client)
# One node with this many CPUs and MiB (nothing enforces either: no cgroups); the tests size
# their jobs to fit.
CPUS=${HALOPS_SLURM_CPUS:-$(nproc)}
MEMORY_MB=${HALOPS_SLURM_MEMORY_MB:-4096}
READY_TIMEOUT_S=${HALOPS_SLURM_READY_TIMEOUT_S:-60}

ensure_root() {
    # slurmd runs jobs as their users, /etc/slurm and /etc/hosts are written: root only.
    [ "$(id -u)" = 0 ] || { echo "start.sh: a local SLURM cluster needs root" >&2; exit 3; }
}

ensure_packages() {
    command -v slurmctld >/dev/null && command -v slurmd >/dev/null \
        && command -v munged >/dev/null && command -v sinfo >/dev/null && return 0
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        "${PACKAGES[@]}"; } >"$DIR/apt.log" 2>&1 \
        || { echo "start.sh: apt-get install failed, see $DIR/apt.log" >&2; exit 3; }
}

# slurmd finds its node by host name, and with NoInAddrAny every daemon and srun binds the
# address that name resolves to: it must be a loopback address so that nothing listens beyond
# this machine (Debian's 127.0.1.1 will do).
node_address() {
    getent ahostsv4 "$1" | awk 'NR==1 {print $1}'
}

ensure_loopback_hostname() {
    case "$(node_address "$1")" in 127.*) return 0 ;; esac
    # Prepended, because the first matching line wins and container images often map the host
    # name to their network address; rewritten in place (not sed -i): it may be a bind mount.
    local saved
    saved=$(cat /etc/hosts)
    printf '127.0.0.1 %s  # added by halops .ci/slurm/start.sh\n%s\n' "$1" "$saved" >/etc/hosts
}

# The default path every SLURM command reads when SLURM_CONF is unset (see the top).
DEFAULT_CONF=/etc/slurm/slurm.conf

# Absent, or a link left by an earlier (maybe killed) run: its target is gone or was written
# by this script. A real cluster's configuration is never replaced.
default_conf_is_ours() {
    [ -e "$DEFAULT_CONF" ] || [ -L "$DEFAULT_CONF" ] || return 0
    [ -L "$DEFAULT_CONF" ] || return 1
    local target
    target=$(readlink "$DEFAULT_CONF")
    [ ! -e "$target" ] || grep -q '^# Written by .ci/slurm/start.sh' "$target"
}

link_default_conf() {
    if ! default_conf_is_ours; then
        echo "start.sh: $DEFAULT_CONF exists and is not ours; refusing to replace it" >&2
        exit 1
    fi
    mkdir -p "$(dirname "$DEFAULT_CONF")"
    ln -sfn "$DIR/slurm.conf" "$DEFAULT_CONF"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

write_munge_key() {
    # A fresh random key per cluster: munged refuses keys readable by others.
    dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 status=none
    chmod 0600 "$DIR/munge/munge.key"
}

write_slurm_conf() {
    local node=$1 address=$2
    cat >"$DIR/slurm.conf" <<EOF
# Written by .ci/slurm/start.sh: a throw-away single-node cluster on loopback.
ClusterName=halops-ci
SlurmctldHost=$node($address)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$DIR/munge/munge.socket
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# Without a default every job would be given the whole node's memory and run alone.
DefMemPerCPU=256
# Finished jobs stay visible to squeue this long: the plugin's squeue status check needs it.
MinJobAge=600
ReturnToService=2
# Trust the CPUs and memory below even where they exceed the machine's (HALOPS_SLURM_CPUS):
# a toy cluster may overcommit; a node with fewer cores than configured would be drained.
SlurmdParameters=config_overrides
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
NodeName=$node NodeAddr=$address CPUs=$CPUS RealMemory=$MEMORY_MB State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
}

start_daemons() {
    # Foreground mode (-F, -D) + & gives the real pids to stop.sh; setsid detaches them from
    # the caller's terminal signals.
    setsid munged -F --force --socket="$DIR/munge/munge.socket" \
        --key-file="$DIR/munge/munge.key" --pid-file="$DIR/munge/munged.pid" \
        --log-file="$DIR/munge/munged.log" --seed-file="$DIR/munge/munged.seed" \
        </dev/null >>"$DIR/munged.out" 2>&1 &
    echo $! >"$DIR/pids"
    wait_for "munged socket" test -S "$DIR/munge/munge.socket"
    setsid slurmctld -D -c -f "$DIR/slurm.conf" </dev/null >>"$DIR/slurmctld.out" 2>&1 &
    echo $! >>"$DIR/pids"
    setsid slurmd -D -f "$DIR/slurm.conf" </dev/null >>"$DIR/slurmd.out" 2>&1 &
    echo $! >>"$DIR/pids"
}

wait_for() {
    local what=$1
    shift
    local deadline=$((SECONDS + READY_TIMEOUT_S))
    until "$@" >/dev/null 2>&1; do
        if [ $SECONDS -ge $deadline ]; then
            echo "start.sh: timed out waiting for $what; logs in $DIR" >&2
            exit 1
        fi
        sleep 0.5
    done
}

node_idle() {
    [ "$(sinfo -h -N -o %t 2>/dev/null)" = idle ]
}

main() {
    mkdir -p "$DIR/state" "$DIR/spool" "$DIR/munge"
    chmod 0700 "$DIR/munge"
    ensure_root
    ensure_packages
    local node
    node=$(hostname -s)
    ensure_loopback_hostname "$node"
    write_munge_key
    write_slurm_conf "$node" "$(node_address "$node")"
    link_default_conf
    echo "export SLURM_CONF=$DIR/slurm.conf" >"$DIR/env"
    export SLURM_CONF="$DIR/slurm.conf"
    start_daemons
    wait_for "node $node idle in sinfo" node_idle
    echo "start.sh: cluster up (SLURM_CONF=$SLURM_CONF, pids $(tr '\n' ' ' <"$DIR/pids"))"
}

main
