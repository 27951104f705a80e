#!/usr/bin/env bash
# Shared by start.sh and cluster.sh (sourced, not run): build_image ROOT writes
# ROOT/busybox.tar.xz, a unified image tarball (metadata.yaml + rootfs/ with
# busybox and its applets), once.
build_image() {
  local root=$1
  local image=$root/busybox.tar.xz
  [ -f "$image" ] && return 0
  local work
  work=$(mktemp -d "$root/image.XXXXXX")
  local rootfs=$work/rootfs
  mkdir -p "$rootfs"/{bin,sbin,etc,dev,proc,sys,tmp,root,run,var/log,usr/bin,usr/sbin}
  cp /bin/busybox "$rootfs/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
  done
  ln -sf /bin/busybox "$rootfs/sbin/init"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
    >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
  # init keeps one long sleep alive; no ttys to respawn.
  printf '::sysinit:/bin/true\n::respawn:/bin/sleep 2147483647\n::shutdown:/bin/true\n' \
    >"$rootfs/etc/inittab"
  chmod 1777 "$rootfs/tmp"
  cat >"$work/metadata.yaml" <<METADATA
architecture: x86_64
creation_date: $(date +%s)
properties:
  description: busybox (incusops tests)
  os: busybox
  release: "$(/bin/busybox | head -1 | awk '{print $2}')"
METADATA
  # Written aside, then renamed: an interrupted build never leaves a partial image behind.
  tar -C "$work" -cJf "$work/image.tar.xz" metadata.yaml rootfs
  mv "$work/image.tar.xz" "$image"
  rm -rf "$work"
}
