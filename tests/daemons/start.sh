#!/usr/bin/env bash
# Installs (when missing) and starts real Incus 6 and LXD 5 daemons for the
# integration tests, each in its own loopback-only network namespace with its
# own state directory, then gives each a dir storage pool, a busybox image and
# a running container "c1"; and a 3-member Incus cluster (cluster.sh, state in
# $DAEMONS_ROOT/cluster). Writes $DAEMONS_ROOT/env with INCUS_SOCKET,
# LXD_SOCKET and the cluster's INCUSOPS_CLUSTER_* (INCUSOPS_REAL_DAEMONS names
# a subset, e.g. "incus,lxd" without the cluster). Idempotent: a daemon whose socket already answers is reused.
# Fails loudly (non-zero, with the daemon's log) when a daemon cannot start.
set -euo pipefail

ROOT=${DAEMONS_ROOT:-/tmp/incusops-daemons}
# Another daemon's socket in the environment would be taken for this one's
# (incusd/lxd then refuse to start: "already running"; the CLIs would talk to it).
unset INCUS_SOCKET LXD_SOCKET INCUS_DIR LXD_DIR
DAEMONS=${INCUSOPS_REAL_DAEMONS:-incus,lxd,cluster}
started=$(date +%s)
log() { echo "[daemons] $*" >&2; }
die() { echo "[daemons] ERROR: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (the daemons and containers need it); try: sudo $0"

# --- packages -------------------------------------------------------------
install_packages() {
  local missing=()
  [ -x /usr/libexec/incus/incusd ] || missing+=(incus)
  command -v lxd >/dev/null 2>&1 || missing+=(lxd)
  [ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx sh || missing+=(busybox-static)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v unshare >/dev/null 2>&1 || missing+=(util-linux)
  command -v ip >/dev/null 2>&1 || missing+=(iproute2)
  command -v xz >/dev/null 2>&1 || missing+=(xz-utils)
  command -v strace >/dev/null 2>&1 || missing+=(strace) # the no-DNS test
  command -v openssl >/dev/null 2>&1 || missing+=(openssl) # client certificates (HTTPS test)
  [ -x /bin/kill ] || [ -x /usr/bin/kill ] || missing+=(procps) # the restart test kills a group
  command -v nsenter >/dev/null 2>&1 || missing+=(util-linux)
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing: ${missing[*]}"
  if [ ! -f /etc/apt/sources.list.d/backports.sources ] &&
    ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
    local uri
    uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    cat >/etc/apt/sources.list.d/backports.sources <<EOF
Types: deb
URIs: ${uri:-http://deb.debian.org/debian}
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed"
  local rest=()
  for package in "${missing[@]}"; do
    if [ "$package" = incus ]; then
      apt-get install -y -qq -t bookworm-backports --no-install-recommends incus >/dev/null ||
        die "could not install incus from bookworm-backports"
    else
      rest+=("$package")
    fi
  done
  if [ ${#rest[@]} -gt 0 ]; then
    apt-get install -y -qq --no-install-recommends "${rest[@]}" >/dev/null ||
      die "could not install ${rest[*]}"
  fi
}

# --- image ----------------------------------------------------------------
# shellcheck source=tests/daemons/_image.sh
source "$(dirname "$0")/_image.sh"
# shellcheck source=tests/daemons/_common.sh
source "$(dirname "$0")/_common.sh"

# --- daemons --------------------------------------------------------------
answers() { curl -sf --max-time 3 --unix-socket "$1" http://127.0.0.1/1.0 >/dev/null 2>&1; }

# start_daemon NAME DIR COMMAND...: runs COMMAND in a new network namespace
# (loopback only) with its own session, logging to DIR/../NAME.log.
start_daemon() {
  local name=$1 dir=$2
  shift 2
  local socket=$dir/unix.socket
  if answers "$socket"; then
    log "$name already answers on $socket"
    return 0
  fi
  mkdir -p "$dir"
  chmod 711 "$dir"
  log "starting $name (state in $dir)"
  setsid unshare --net --fork -- sh -c 'ip link set lo up 2>/dev/null; exec "$@"' sh "$@" \
    >"$ROOT/$name.log" 2>&1 </dev/null &
  echo $! >"$ROOT/$name.pid"
  if await_up "$ROOT/$name.pid" 120 0.5 answers "$socket"; then
    log "$name answers on $socket"
    return 0
  fi
  tail -n 40 "$ROOT/$name.log" >&2 || true
  die "$name did not answer on $socket (log: $ROOT/$name.log)"
}

# busy_retry COMMAND...: runs COMMAND, and again every 0.5 s for up to 60 s
# while the daemon answers that an instance is busy: after a restart the
# daemon starts c1 by itself, and a change that touches c1 meanwhile is
# refused ("Instance is busy running a "start" operation").
busy_retry() {
  local out
  for _ in $(seq 1 120); do
    out=$("$@" 2>&1) && return 0
    case $out in *busy*) sleep 0.5 ;; *) break ;; esac
  done
  echo "$out" >&2
  return 1
}

# instance_state CLI: c1's state (RUNNING, STOPPED, ...), empty if it does not exist.
instance_state() { $1 list c1 --format csv -c s 2>/dev/null || true; }

# provision NAME CLI: pool, root disk, image, running container c1. Run again
# on a restarted daemon (same state), it changes nothing that is already so.
provision() {
  local name=$1 cli=$2
  if ! $cli storage show default >/dev/null 2>&1; then
    $cli storage create default dir >/dev/null || die "$name: cannot create the dir pool"
  fi
  if ! $cli profile device show default | grep -q '^root:'; then
    $cli profile device add default root disk path=/ pool=default >/dev/null ||
      die "$name: cannot add the root disk"
  fi
  # Privileged: the machine's /etc/subuid holds overlapping ranges for root
  # (lxd's postinst adds one inside the other), which newuidmap refuses.
  # Set only when it differs: setting it updates every instance of the profile,
  # which a daemon still starting c1 after a restart refuses.
  if [ "$($cli profile get default security.privileged 2>/dev/null)" != true ]; then
    busy_retry $cli profile set default security.privileged true ||
      die "$name: cannot make the default profile privileged"
  fi
  if ! $cli image alias list --format csv | grep -q '^busybox,'; then
    $cli image import "$ROOT/busybox.tar.xz" --alias busybox >/dev/null ||
      die "$name: cannot import the busybox image"
  fi
  if ! $cli info c1 >/dev/null 2>&1; then
    $cli launch busybox c1 >/dev/null || die "$name: cannot launch c1 ($($cli info --show-log c1 2>&1 | tail -5))"
  fi
  # Started unless it runs (or the daemon started it meanwhile, after a restart).
  if [ "$(instance_state "$cli")" != RUNNING ] && ! busy_retry $cli start c1 &&
    [ "$(instance_state "$cli")" != RUNNING ]; then
    die "$name: cannot start c1 ($(instance_state "$cli"))"
  fi
  local out=""
  for _ in $(seq 1 40); do
    out=$($cli exec c1 -- echo ok 2>&1) && [ "$out" = ok ] && break
    sleep 0.5
  done
  [ "$out" = ok ] || die "$name: exec in c1 does not work: $out"
  log "$name: pool, image busybox and running c1 ready"
}

mkdir -p "$ROOT"
install_packages
build_image "$ROOT"

env_file=$ROOT/env
: >"$env_file"
case ",$DAEMONS," in *,incus,*)
  export INCUS_DIR=$ROOT/incus
  start_daemon incus "$INCUS_DIR" env INCUS_DIR="$INCUS_DIR" /usr/libexec/incus/incusd \
    --group root --logfile "$ROOT/incus.daemon.log"
  # Answering is not ready: wait until its start-up is done.
  env INCUS_DIR="$INCUS_DIR" incus admin waitready --timeout 60 || die "incus is not ready"
  provision incus "env INCUS_DIR=$INCUS_DIR incus"
  echo "export INCUS_DIR=$INCUS_DIR INCUS_SOCKET=$INCUS_DIR/unix.socket" >>"$env_file"
  ;;
esac
case ",$DAEMONS," in *,lxd,*)
  export LXD_DIR=$ROOT/lxd
  start_daemon lxd "$LXD_DIR" env LXD_DIR="$LXD_DIR" lxd --group root \
    --logfile "$ROOT/lxd.daemon.log"
  env LXD_DIR="$LXD_DIR" lxd waitready --timeout 60 || die "lxd is not ready"
  provision lxd "env LXD_DIR=$LXD_DIR lxc"
  echo "export LXD_DIR=$LXD_DIR LXD_SOCKET=$LXD_DIR/unix.socket" >>"$env_file"
  ;;
esac
case ",$DAEMONS," in *,cluster,*)
  CLUSTER_ROOT=$ROOT/cluster bash "$(dirname "$0")/cluster.sh" start
  cat "$ROOT/cluster/env" >>"$env_file"
  ;;
esac
echo "export INCUSOPS_REAL_DAEMONS=$DAEMONS" >>"$env_file"
log "ready in $(($(date +%s) - started)) s; env: $env_file"
cat "$env_file"
