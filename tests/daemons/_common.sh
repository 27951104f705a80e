#!/usr/bin/env bash
# Shared by start.sh, stop.sh and cluster.sh (sourced, not run).

# await_up PIDFILE TRIES PAUSE CHECK...: runs CHECK until it succeeds, at most
# TRIES times PAUSE seconds apart, while the process of PIDFILE lives; fails
# once that process is gone or the tries run out.
await_up() {
  local pidfile=$1 tries=$2 pause=$3
  shift 3
  for _ in $(seq 1 "$tries"); do
    "$@" && return 0
    kill -0 "$(cat "$pidfile")" 2>/dev/null || return 1
    sleep "$pause"
  done
  return 1
}

# remove_state ROOT: unmounts whatever the daemons left under ROOT (deepest
# first), then removes ROOT (logging, through the caller's log, what stays).
remove_state() {
  local root=$1 mounts
  for _ in 1 2 3; do
    mounts=$(awk -v root="$root" 'index($2, root) == 1 {print $2}' /proc/self/mounts | sort -r)
    [ -z "$mounts" ] && break
    for mount in $mounts; do umount -l "$mount" 2>/dev/null || true; done
  done
  rm -rf "$root" 2>/dev/null || { sleep 1; rm -rf "$root" || log "could not remove all of $root"; }
}
