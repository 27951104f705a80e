#!/usr/bin/env bash
# Stops the daemons started by start.sh and removes their state. Safe to run
# twice, and after a start that failed half way.
set -uo pipefail
ROOT=${DAEMONS_ROOT:-/tmp/incusops-daemons}
# The CLIs below must talk to THIS root's daemons, never to a socket in the environment.
unset INCUS_SOCKET LXD_SOCKET
log() { echo "[daemons] $*" >&2; }
# shellcheck source=tests/daemons/_common.sh
source "$(dirname "$0")/_common.sh"
[ -d "$ROOT" ] || exit 0

stop_daemon() {
  local name=$1 dir=$2 cli=$3
  local pidfile=$ROOT/$name.pid
  if [ -S "$dir/unix.socket" ]; then
    # Containers first (forced), then the daemon itself.
    for instance in $(timeout 20 $cli list --format csv -c n --all-projects 2>/dev/null | cut -d, -f2 | sort -u); do
      timeout 20 $cli stop -f "$instance" >/dev/null 2>&1 || true
    done
  fi
  if [ -f "$pidfile" ]; then
    local pid
    pid=$(cat "$pidfile")
    # The recorded pid is the `unshare` wrapper's session: kill the whole group.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$pidfile"
  fi
  # Leftover container monitors of this daemon.
  pkill -KILL -f "\[lxc monitor\] $dir/containers" 2>/dev/null || true
  pkill -KILL -f "forkstart .* $dir/containers" 2>/dev/null || true
  log "$name stopped"
}

CLUSTER_ROOT=$ROOT/cluster bash "$(dirname "$0")/cluster.sh" stop
stop_daemon incus "$ROOT/incus" "env INCUS_DIR=$ROOT/incus incus"
stop_daemon lxd "$ROOT/lxd" "env LXD_DIR=$ROOT/lxd lxc"
remove_state "$ROOT"
log "state removed"
