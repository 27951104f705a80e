#!/usr/bin/env bash
# Usage: bash tests/daemons/with-daemons.sh COMMAND...
# Starts real Incus and LXD daemons and the 3-member Incus cluster (installing
# them when missing), runs COMMAND with their env ($DAEMONS_ROOT/env:
# INCUS_SOCKET, LXD_SOCKET, INCUSOPS_CLUSTER_*) exported, and always stops the
# daemons afterwards. With the cluster, COMMAND runs inside the cluster's
# network namespace (its members' HTTPS addresses are reachable only there;
# Unix sockets and the standalone daemons' namespaces work from it as from
# outside). Exits with COMMAND's status; fails loudly when a daemon cannot be
# started.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export DAEMONS_ROOT=${DAEMONS_ROOT:-/tmp/incusops-daemons}
trap 'bash "$here/stop.sh"' EXIT
provision_started=$(date +%s)
bash "$here/start.sh"
echo "[daemons] provisioning took $(($(date +%s) - provision_started)) s" >&2
# shellcheck disable=SC1091
source "$DAEMONS_ROOT/env"
if [ -n "${INCUSOPS_CLUSTER_NETNS_PID:-}" ]; then
  nsenter --net="/proc/$INCUSOPS_CLUSTER_NETNS_PID/ns/net" -- "$@"
else
  "$@"
fi
