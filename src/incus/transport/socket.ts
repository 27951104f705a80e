/**
 * Where a local Incus or LXD daemon listens.
 *
 * @module
 */

/** Reads an environment variable, `undefined` when unset or not permitted. */
function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The Unix socket paths tried, in order, when `connect()` is given neither a
 * `socket` nor a `url`: `INCUS_SOCKET`, `$INCUS_DIR/unix.socket`,
 * `/run/incus/unix.socket`, `/var/lib/incus/unix.socket`, `LXD_SOCKET`,
 * `$LXD_DIR/unix.socket`, `/var/snap/lxd/common/lxd/unix.socket`,
 * `/var/lib/lxd/unix.socket`.
 *
 * @returns The candidate paths, without duplicates.
 *
 * @example
 * ```ts
 * import { socketCandidates } from "@incusops/operations";
 * import { assert } from "@std/assert";
 *
 * const paths = socketCandidates();
 * assert(paths.includes("/var/lib/incus/unix.socket"));
 * assert(paths.indexOf("/run/incus/unix.socket") < paths.indexOf("/var/lib/lxd/unix.socket"));
 * ```
 */
export function socketCandidates(): string[] {
  const incusDir = env("INCUS_DIR");
  const lxdDir = env("LXD_DIR");
  const paths = [
    env("INCUS_SOCKET"),
    incusDir && `${incusDir}/unix.socket`,
    "/run/incus/unix.socket",
    "/var/lib/incus/unix.socket",
    env("LXD_SOCKET"),
    lxdDir && `${lxdDir}/unix.socket`,
    "/var/snap/lxd/common/lxd/unix.socket",
    "/var/lib/lxd/unix.socket",
  ];
  return [...new Set(paths.filter((path): path is string => !!path))];
}

/** Whether `path` is a Unix socket we may see. */
function isSocket(path: string): boolean {
  try {
    return Deno.statSync(path).isSocket === true;
  } catch {
    return false;
  }
}

/**
 * The first candidate that is a socket, or `undefined` with the list of
 * paths tried.
 */
export function findSocket(): { path: string | undefined; tried: string[] } {
  const tried = socketCandidates();
  return { path: tried.find(isSocket), tried };
}
