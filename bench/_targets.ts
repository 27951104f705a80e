// deno-lint-ignore-file no-console -- a benchmark reports its figures on stdout
/** The real daemons a CLI-comparing benchmark runs against, with their own CLI's environment. */

/** A daemon and the command line that drives it. */
export interface CliTarget {
  /** "incus" or "lxd". */
  name: string;
  /** Its Unix socket. */
  socket: string;
  /** Its own command line (`incus` or `lxc`). */
  cli: string;
  /** The environment that points that command line at it. */
  env: Record<string, string>;
}

/** The daemons of `INCUS_SOCKET` / `LXD_SOCKET`; exits with a clear message if none. */
export function cliTargets(): CliTarget[] {
  const targets = [
    { name: "incus", cli: "incus", dirVariable: "INCUS_DIR", socketVariable: "INCUS_SOCKET" },
    { name: "lxd", cli: "lxc", dirVariable: "LXD_DIR", socketVariable: "LXD_SOCKET" },
  ].flatMap(({ name, cli, dirVariable, socketVariable }) => {
    const socket = Deno.env.get(socketVariable);
    if (!socket) return [];
    const dir = Deno.env.get(dirVariable) ?? socket.replace(/\/unix\.socket$/, "");
    return [{ name, socket, cli, env: { [dirVariable]: dir } }];
  });
  if (targets.length === 0) {
    console.error("no daemon: source /tmp/incusops-daemons/env (INCUS_SOCKET, LXD_SOCKET) first");
    Deno.exit(1);
  }
  return targets;
}

/** Compiles the `incusops` CLI (offline import map) into `binary` with `deno compile`. */
export function compileCli(binary: string): Promise<Deno.CommandOutput> {
  const root = decodeURIComponent(new URL("..", import.meta.url).pathname);
  return new Deno.Command(Deno.execPath(), {
    args: [
      "compile",
      "-A",
      "--import-map",
      `${root}.ci/offline-imports.json`,
      "-o",
      binary,
      `${root}src/cli/main.ts`,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
}

/**
 * Bundles the `incusops` CLI (offline import map) into `outdir` with
 * `deno bundle --code-splitting`: `outdir/main.js` and one chunk per lazily
 * loaded part.
 */
export async function bundleCli(outdir: string): Promise<Deno.CommandOutput> {
  const root = decodeURIComponent(new URL("..", import.meta.url).pathname);
  await Deno.remove(outdir, { recursive: true }).catch(() => {});
  return await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--code-splitting",
      "--import-map",
      `${root}.ci/offline-imports.json`,
      "--outdir",
      outdir,
      `${root}src/cli/main.ts`,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
}
