#!/usr/bin/env bash
# Stop the cluster started by start.sh DIR: the daemons listed in DIR/pids, by pid only.
#   bash .ci/slurm/stop.sh DIR
set -uo pipefail

DIR=$(realpath -m "${1:?usage: stop.sh DIR}")
[ -f "$DIR/pids" ] || exit 0

# Jobs still running belong to this cluster only; cancel them so slurmd leaves no orphans.
if [ -f "$DIR/slurm.conf" ] && command -v scancel >/dev/null; then
    SLURM_CONF="$DIR/slurm.conf" timeout 10 scancel --full --quiet --user="$(id -un)" || true
fi

# Reverse start order (slurmd, slurmctld, munged): munged must outlive the others' last calls.
mapfile -t PIDS < <(tac "$DIR/pids")
for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
done
for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
done
rm -f "$DIR/pids"
# start.sh linked the default configuration path to this cluster; leave any other alone.
if [ "$(readlink /etc/slurm/slurm.conf 2>/dev/null)" = "$DIR/slurm.conf" ]; then
    rm -f /etc/slurm/slurm.conf
fi
echo "stop.sh: stopped ${PIDS[*]}"
