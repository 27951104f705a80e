#!/usr/bin/env bash
# Usage: bash tests/daemons/cluster.sh start|stop|kill-member mN|start-member mN
#
# A real 3-member Incus cluster on this one machine, for the cluster tests:
# one loopback-only network namespace (a long-lived `unshare --net` process)
# holding 127.0.0.11-13, and three incusd (m1, m2, m3), each with its own
# INCUS_DIR under $CLUSTER_ROOT, listening on 127.0.0.1N:8443. m1 bootstraps
# the cluster (dir pool "default", privileged default profile with a root
# disk), m2 and m3 join with tokens; the busybox image and one running
# container per member (c-m1 on m1, ...) follow, and a client certificate is
# trusted for the HTTPS tests. Writes $CLUSTER_ROOT/env (see the end).
#
# HTTPS clients must run inside the namespace:
#   nsenter --net=/proc/$INCUSOPS_CLUSTER_NETNS_PID/ns/net <command>
# (Unix sockets work from inside it as from outside).
#
# start is idempotent (members that answer are reused) and fails loudly with
# the daemons' logs; stop is safe to run twice and after a failed start.
# kill-member / start-member SIGKILL and restart one member (the fault tests).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/daemons/_common.sh
source "$here/_common.sh"
ROOT=${CLUSTER_ROOT:-${DAEMONS_ROOT:-/tmp/incusops-daemons}/cluster}
MEMBERS=(m1 m2 m3)
unset INCUS_SOCKET LXD_SOCKET INCUS_DIR LXD_DIR
log() { echo "[cluster] $*" >&2; }
die() {
  echo "[cluster] ERROR: $*" >&2
  for member in "${MEMBERS[@]}"; do
    [ -f "$ROOT/$member.daemon.log" ] || continue
    echo "[cluster] --- last lines of $ROOT/$member.daemon.log" >&2
    tail -n 25 "$ROOT/$member.daemon.log" >&2 || true
  done
  exit 1
}

address() { echo "127.0.0.1${1#m}"; }
dir_of() { echo "$ROOT/$1"; }
netns_pid() { cat "$ROOT/netns.pid" 2>/dev/null || true; }
# in_ns COMMAND...: runs COMMAND inside the cluster's network namespace.
in_ns() { nsenter --net="/proc/$(netns_pid)/ns/net" -- "$@"; }
cli() {
  local member=$1
  shift
  in_ns env INCUS_DIR="$(dir_of "$member")" timeout 120 incus "$@"
}
answers() {
  curl -sf --max-time 3 --unix-socket "$(dir_of "$1")/unix.socket" http://127.0.0.1/1.0 \
    >/dev/null 2>&1
}

# namespace_up: the namespace holds the members' addresses (the last one added).
namespace_up() { in_ns ip -4 addr show lo 2>/dev/null | grep -q "$(address m3)/"; }

start_namespace() {
  local pid
  pid=$(netns_pid)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then return 0; fi
  mkdir -p "$ROOT"
  local setup="ip link set lo up"
  for member in "${MEMBERS[@]}"; do setup="$setup; ip addr add $(address "$member")/32 dev lo"; done
  # The recorded pid is unshare's: it lives in the new namespace (unshare(2) moves the caller).
  setsid unshare --net --fork -- sh -c "$setup && exec sleep 2147483647" \
    >"$ROOT/netns.log" 2>&1 </dev/null &
  echo $! >"$ROOT/netns.pid"
  await_up "$ROOT/netns.pid" 40 0.1 namespace_up && return 0
  cat "$ROOT/netns.log" >&2 || true
  die "the network namespace did not come up"
}

start_member() {
  local member=$1 dir
  dir=$(dir_of "$member")
  if answers "$member"; then return 0; fi
  mkdir -p "$dir"
  chmod 711 "$dir"
  setsid nsenter --net="/proc/$(netns_pid)/ns/net" -- env INCUS_DIR="$dir" \
    /usr/libexec/incus/incusd --group root --logfile "$ROOT/$member.daemon.log" \
    >>"$ROOT/$member.log" 2>&1 </dev/null &
  echo $! >"$ROOT/$member.pid"
  await_up "$ROOT/$member.pid" 240 0.25 answers "$member" && return 0
  tail -n 20 "$ROOT/$member.log" >&2 || true
  die "$member did not answer on $dir/unix.socket"
}

kill_member() {
  local member=$1 pid
  pid=$(cat "$ROOT/$member.pid" 2>/dev/null || true)
  [ -n "$pid" ] || return 0
  kill -KILL "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  rm -f "$ROOT/$member.pid"
}

clustered() { cli m1 cluster list --format csv 2>/dev/null | grep -q "^$1,"; }

bootstrap() {
  clustered m1 && return 0
  cli m1 admin init --preseed >/dev/null <<EOF || die "m1: cluster bootstrap failed"
config:
  core.https_address: $(address m1):8443
storage_pools:
- name: default
  driver: dir
profiles:
- name: default
  config:
    security.privileged: "true"
  devices:
    root:
      path: /
      pool: default
      type: disk
cluster:
  server_name: m1
  enabled: true
EOF
}

join() {
  local member=$1 token
  clustered "$member" && return 0
  cli m1 cluster remove --force --yes "$member" >/dev/null 2>&1 || true # a half join
  token=$(cli m1 cluster add "$member" --quiet) || die "m1: no join token for $member"
  cli "$member" admin init --preseed >/dev/null <<EOF || die "$member: cannot join the cluster"
cluster:
  enabled: true
  server_name: $member
  server_address: $(address "$member"):8443
  cluster_token: $token
  member_config:
  - entity: storage-pool
    name: default
    key: source
    value: ""
EOF
}

provision() {
  build_image "$ROOT"
  if ! cli m1 image alias list --format csv | grep -q '^busybox,'; then
    cli m1 image import "$ROOT/busybox.tar.xz" --alias busybox >/dev/null ||
      die "cannot import the busybox image"
  fi
  for member in "${MEMBERS[@]}"; do
    local instance=c-$member
    if ! cli m1 info "$instance" >/dev/null 2>&1; then
      cli m1 launch busybox "$instance" --target "$member" >/dev/null 2>&1 ||
        die "cannot launch $instance on $member"
    fi
    cli m1 start "$instance" >/dev/null 2>&1 || true
  done
  for member in "${MEMBERS[@]}"; do
    local out=""
    for _ in $(seq 1 40); do
      out=$(cli m1 exec "c-$member" -- echo ok 2>&1) && [ "$out" = ok ] && break
      sleep 0.25
    done
    [ "$out" = ok ] || die "exec in c-$member does not work: $out"
  done
  # The cluster certificate Incus makes names only 127.0.0.1, ::1 and "vm":
  # HTTPS clients verify the member's address, so it is replaced by one
  # naming every member (cluster-wide: every member serves it).
  if [ ! -f "$ROOT/cluster.crt" ]; then
    local names="DNS:vm,IP:127.0.0.1"
    for member in "${MEMBERS[@]}"; do names="$names,IP:$(address "$member")"; done
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp384r1 -sha384 -nodes \
      -keyout "$ROOT/cluster.key" -out "$ROOT/cluster.crt" -days 30 -subj /CN=incusops-cluster \
      -addext "subjectAltName=$names" -addext "basicConstraints=critical,CA:FALSE" \
      -addext "extendedKeyUsage=serverAuth,clientAuth" \
      -addext "keyUsage=critical,digitalSignature,keyEncipherment" >/dev/null 2>&1 ||
      die "cannot make the cluster certificate"
  fi
  if ! cmp -s "$ROOT/cluster.crt" "$(dir_of m1)/cluster.crt"; then
    cli m1 cluster update-certificate "$ROOT/cluster.crt" "$ROOT/cluster.key" >/dev/null ||
      die "cannot install the cluster certificate"
  fi
  if [ ! -f "$ROOT/client.crt" ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -sha384 -nodes \
      -keyout "$ROOT/client.key" -out "$ROOT/client.crt" -days 30 -subj /CN=incusops-cluster \
      >/dev/null 2>&1 || die "cannot make a client certificate"
  fi
  if ! cli m1 config trust list --format csv | grep -q incusops-cluster; then
    cli m1 config trust add-certificate "$ROOT/client.crt" --name incusops-cluster >/dev/null ||
      die "cannot trust the client certificate"
  fi
}

write_env() {
  local sockets=() urls=() instances=() dirs=()
  for member in "${MEMBERS[@]}"; do
    sockets+=("$(dir_of "$member")/unix.socket")
    urls+=("https://$(address "$member"):8443")
    instances+=("c-$member")
    dirs+=("$(dir_of "$member")")
  done
  local IFS=,
  cat >"$ROOT/env" <<EOF
export INCUSOPS_CLUSTER_ROOT=$ROOT
export INCUSOPS_CLUSTER_MEMBERS=${MEMBERS[*]}
export INCUSOPS_CLUSTER_SOCKETS=${sockets[*]}
export INCUSOPS_CLUSTER_URLS=${urls[*]}
export INCUSOPS_CLUSTER_INSTANCES=${instances[*]}
export INCUSOPS_CLUSTER_NETNS_PID=$(netns_pid)
export INCUSOPS_CLUSTER_CERT=$ROOT/client.crt INCUSOPS_CLUSTER_KEY=$ROOT/client.key
export INCUSOPS_CLUSTER_SERVER_CERT=$ROOT/cluster.crt
EOF
}

start() {
  [ "$(id -u)" = 0 ] || die "must run as root (the daemons and containers need it)"
  local started
  started=$(date +%s%N)
  # shellcheck source=tests/daemons/_image.sh
  source "$here/_image.sh"
  start_namespace
  for member in "${MEMBERS[@]}"; do start_member "$member"; done
  bootstrap
  for member in m2 m3; do join "$member"; done
  provision
  write_env
  local ms=$((($(date +%s%N) - started) / 1000000))
  log "3 members (${MEMBERS[*]}), pool, image and c-m1..c-m3 ready in" \
    "$((ms / 1000)).$((ms % 1000 / 100)) s; env: $ROOT/env"
}

stop() {
  [ -d "$ROOT" ] || return 0
  local pid
  pid=$(netns_pid)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && answers m1; then
    for member in "${MEMBERS[@]}"; do
      answers "$member" || continue
      cli m1 stop -f "c-$member" >/dev/null 2>&1 || true
    done
  fi
  for member in "${MEMBERS[@]}"; do kill_member "$member"; done
  for member in "${MEMBERS[@]}"; do
    pkill -KILL -f "\[lxc monitor\] $(dir_of "$member")/containers" 2>/dev/null || true
    pkill -KILL -f "forkstart .* $(dir_of "$member")/containers" 2>/dev/null || true
  done
  if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
  remove_state "$ROOT"
  log "stopped, state removed"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  kill-member) kill_member "${2:?member}" ;;
  start-member) start_member "${2:?member}" ;;
  *) echo "usage: $0 start|stop|kill-member mN|start-member mN" >&2; exit 2 ;;
esac
