/**
 * Which local Incus or LXD socket to use: one named explicitly
 * (`connect({ socket })`, `INCUS_SOCKET`, `INCUS_DIR`, `LXD_SOCKET`,
 * `LXD_DIR`) is used alone and never replaced by another; the usual places
 * are searched only when nothing names one.
 *
 * @module
 */

// deno-lint-ignore no-unused-vars -- for {@linkcode} in the docs
import type { ConnectionError } from "../../core/errors.ts";
import { connectError, notPermitted as denied, socketProblem } from "./transport_errors.ts";

/**
 * The environment variables that name a daemon's socket, by family
 * (`*_SOCKET` before `*_DIR`): `connect()` reads them (so needs
 * `--allow-env` for them) when no `socket` is given.
 *
 * @example
 * ```ts
 * import { SOCKET_VARIABLES } from "@incusops/operations";
 *
 * console.log(`--allow-env=${SOCKET_VARIABLES.join(",")}`);
 * ```
 */
export const SOCKET_VARIABLES = ["INCUS_SOCKET", "INCUS_DIR", "LXD_SOCKET", "LXD_DIR"] as const;

/**
 * The Unix socket paths searched, in order, when nothing names a socket
 * (no `connect({ socket })`, no `INCUS_SOCKET`, `INCUS_DIR`, `LXD_SOCKET`
 * or `LXD_DIR`): Incus's, then LXD's (snap, then package).
 *
 * @returns The default paths.
 *
 * @example
 * ```ts
 * import { socketCandidates } from "@incusops/operations";
 *
 * console.log(socketCandidates()[0]); // "/run/incus/unix.socket"
 * ```
 */
export function socketCandidates(): string[] {
  return [
    "/run/incus/unix.socket",
    "/var/lib/incus/unix.socket",
    "/var/snap/lxd/common/lxd/unix.socket",
    "/var/lib/lxd/unix.socket",
  ];
}

/** What the socket resolution reads; tests replace it so that the machine does not matter. */
export interface SocketSources {
  /** `connect({ socket })`: used as given. */
  socket?: string;
  /** Reads a variable; throws `Deno.errors.NotCapable` when not permitted (default `Deno.env.get`). */
  env?: (name: string) => string | undefined;
  /** The default paths (default {@linkcode socketCandidates}). */
  candidates?: readonly string[];
  /** Stats a path, following links (default `Deno.statSync`). */
  stat?: (path: string) => Pick<Deno.FileInfo, "isSocket" | "isFile" | "isDirectory" | "isFifo">;
}

/** The socket chosen, and what named it. */
export interface SocketChoice {
  /** The socket path. */
  path: string;
  /** `connect({ socket })`, a variable's name, or `search`. */
  source: string;
}

/**
 * Chooses the socket `connect()` uses. Precedence, safest first:
 * `connect({ socket })` as given; else the variables, each family as its own
 * CLI reads them (`INCUS_SOCKET`, else `$INCUS_DIR/unix.socket`; `LXD_SOCKET`,
 * else `$LXD_DIR/unix.socket`), refused as ambiguous when an Incus and an
 * LXD variable name different sockets; a named socket must exist and be a
 * socket, else a {@linkcode ConnectionError} names it and the variable.
 * Only when nothing names one are the {@linkcode socketCandidates} searched.
 * When the variables cannot be read (no `--allow-env`), it refuses and names
 * the flag rather than search without them.
 *
 * @param sources The option, and what to read (replaceable in tests).
 * @returns The socket and what named it.
 * @throws {ConnectionError} Naming the path (or the paths tried) and the fix.
 */
export function resolveSocket(sources: SocketSources = {}): SocketChoice {
  if (sources.socket !== undefined) return { path: sources.socket, source: "connect({ socket })" };
  const env = sources.env ?? ((name: string) => Deno.env.get(name));
  const stat = sources.stat ?? Deno.statSync;
  const values = new Map<string, string>();
  const unreadable: string[] = [];
  for (const name of SOCKET_VARIABLES) {
    try {
      const value = env(name);
      if (value) values.set(name, value);
    } catch (error) {
      if (!denied(error)) throw error;
      unreadable.push(name);
    }
  }
  if (unreadable.length > 0) {
    throw connectError(
      `cannot read ${unreadable.join(", ")}, which may name the daemon's socket: run deno with ` +
        `--allow-env=${SOCKET_VARIABLES.join(",")}, or pass connect({ socket })`,
      unreadable.join(", "),
    );
  }
  const family = (socketName: string, dirName: string): SocketChoice | undefined => {
    const socket = values.get(socketName);
    if (socket !== undefined) return { path: socket, source: socketName };
    const dir = values.get(dirName);
    return dir === undefined ? undefined : { path: `${dir}/unix.socket`, source: dirName };
  };
  const incus = family("INCUS_SOCKET", "INCUS_DIR");
  const lxd = family("LXD_SOCKET", "LXD_DIR");
  if (incus !== undefined && lxd !== undefined && incus.path !== lxd.path) {
    throw connectError(
      `${incus.source} (${incus.path}) and ${lxd.source} (${lxd.path}) name different ` +
        `daemons; unset the one you do not mean, or pass connect({ socket })`,
      `${incus.path}, ${lxd.path}`,
    );
  }
  const named = incus ?? lxd;
  if (named !== undefined) {
    const why = socketProblem(named.path, stat);
    if (why !== undefined) {
      throw connectError(
        `cannot use the socket ${named.path} named by ${named.source}: ${why} ` +
          `(fix or unset ${named.source}; no other socket is tried)`,
        named.path,
      );
    }
    return named;
  }
  const tried = [...(sources.candidates ?? socketCandidates())];
  let notPermitted = false;
  for (const path of tried) {
    try {
      if (stat(path).isSocket === true) return { path, source: "search" };
    } catch (error) {
      if (error instanceof Deno.errors.NotCapable) notPermitted = true;
    }
  }
  throw connectError(
    `no Incus or LXD socket found; tried ${tried.join(", ")}` +
      (notPermitted ? ` (Deno may not look: run deno with --allow-read=${tried.join(",")})` : "") +
      `. Start the daemon, set INCUS_SOCKET or LXD_SOCKET to its unix.socket, or pass ` +
      `connect({ socket })`,
    tried.join(", "),
  );
}
