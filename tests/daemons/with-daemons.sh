#!/usr/bin/env bash
# Usage: bash tests/daemons/with-daemons.sh COMMAND...
# Starts real Incus and LXD daemons (installing them when missing), runs
# COMMAND with INCUS_SOCKET and LXD_SOCKET exported, and always stops the
# daemons afterwards. Exits with COMMAND's status; fails loudly when a daemon
# cannot be started.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export DAEMONS_ROOT=${DAEMONS_ROOT:-/tmp/incusops-daemons}
trap 'bash "$here/stop.sh"' EXIT
provision_started=$(date +%s)
bash "$here/start.sh"
echo "[daemons] provisioning took $(($(date +%s) - provision_started)) s" >&2
# shellcheck disable=SC1091
source "$DAEMONS_ROOT/env"
"$@"
