/**
 * The benchmark's peers, installed for the benchmark only (never
 * dependencies of the project): pylxd (Debian `python3-pylxd`), the npm
 * `incus` client (into a temporary folder) and incus_sdk (orbical-dev's
 * aiohttp client, PyPI `incus-sdk`, into a throwaway virtualenv that sees
 * Debian's aiohttp). Each peer is a script under `bench/peers/` run as a
 * process of its own, printing `{"seconds": ..., "calls": N}`.
 *
 * incus_sdk comes from `INCUS_SDK_SOURCE` (a source folder or archive of
 * the package, e.g. a checkout of github.com/orbical-dev/incus_sdk) when
 * set, else from PyPI; when neither can be had, the report says so.
 *
 * @module
 */

/** Where the peers are installed. */
export const PEER_DIR = "/tmp/incusops-peers";
/** Debian's Python, where python3-pylxd and python3-aiohttp live. */
const PYTHON = "/usr/bin/python3";
const VENV = `${PEER_DIR}/venv`;
const HERE = new URL(".", import.meta.url).pathname;

/** Runs a command; resolves with its stdout, rejects with its output when it fails. */
export async function run(
  command: string,
  args: string[],
  env?: Record<string, string>,
): Promise<string> {
  const output = await new Deno.Command(command, { args, env, stderr: "piped" }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    const stderr = new TextDecoder().decode(output.stderr);
    throw new Error(`${command} ${args.join(" ")} failed:\n${stdout}${stderr}`);
  }
  return stdout;
}

/** Which peers could be installed, and why the others could not. */
export interface Peers {
  available: Set<PeerName>;
  missing: Record<string, string>;
}

/** The peers' names as the report prints them. */
export type PeerName = "pylxd" | "npm incus" | "incus_sdk";

async function works(check: () => Promise<unknown>): Promise<boolean> {
  try {
    await check();
    return true;
  } catch {
    return false;
  }
}

async function aptInstall(packages: string[]): Promise<void> {
  await run("apt-get", ["install", "-y", "--no-install-recommends", ...packages], {
    DEBIAN_FRONTEND: "noninteractive",
  });
}

/** Installs what is missing; `log` tells what it does. */
export async function ensurePeers(log: (message: string) => void): Promise<Peers> {
  const available = new Set<PeerName>();
  const missing: Record<string, string> = {};
  const attempt = async (
    name: PeerName,
    check: () => Promise<unknown>,
    install: () => Promise<unknown>,
  ) => {
    if (await works(check)) return available.add(name);
    log(`installing ${name} for the benchmark`);
    try {
      await install();
      await check();
      available.add(name);
    } catch (error) {
      missing[name] = String(error instanceof Error ? error.message : error).split("\n")[0];
      log(`${name} unavailable: ${missing[name]}`);
    }
  };
  await attempt(
    "pylxd",
    () => run(PYTHON, ["-c", "import pylxd"]),
    () => aptInstall(["python3-pylxd"]),
  );
  await attempt("npm incus", async () => {
    await Deno.stat(`${PEER_DIR}/node_modules/incus/package.json`);
    await Deno.stat(`${PEER_DIR}/node_modules/tslib/package.json`);
  }, () =>
    // incus@1.0.8 requires tslib at run time but declares it as a dev dependency.
    run("npm", ["install", "--no-save", "--prefix", PEER_DIR, "incus@1.0.8", "tslib"]));
  await attempt(
    "incus_sdk",
    () => run(`${VENV}/bin/python`, ["-c", "import incus_sdk"]),
    async () => {
      // Its dependencies from Debian (aiohttp, aiofiles, certifi), seen through the venv.
      await aptInstall(["python3-aiohttp", "python3-aiofiles", "python3-certifi", "python3-venv"]);
      await run(PYTHON, ["-m", "venv", "--system-site-packages", VENV]);
      const source = Deno.env.get("INCUS_SDK_SOURCE");
      const pip = [`${VENV}/bin/pip`, "install", "--quiet", "--no-deps"];
      if (source !== undefined) {
        await run(pip[0], [...pip.slice(1), "--no-index", "--no-build-isolation", source]);
      } else {
        await run(pip[0], [...pip.slice(1), "incus-sdk==1.0.0"]);
      }
    },
  );
  return { available, missing };
}

/** The command line of `peer` for one measurement. */
export function peerCommand(
  peer: PeerName,
  mode: "get" | "list",
  socket: string,
  id: string,
  calls: number,
  concurrency: number,
): { command: string; args: string[]; env?: Record<string, string> } | undefined {
  const common = [mode, socket, id, String(calls)];
  switch (peer) {
    case "pylxd": // synchronous: sequential workloads only
      return concurrency === 1
        ? { command: PYTHON, args: [`${HERE}peers/pylxd_peer.py`, ...common] }
        : undefined;
    case "npm incus":
      return {
        command: "node",
        args: [`${HERE}peers/incus_npm_peer.cjs`, ...common, String(concurrency)],
        env: { NODE_PATH: `${PEER_DIR}/node_modules` },
      };
    case "incus_sdk":
      return {
        command: `${VENV}/bin/python`,
        args: [`${HERE}peers/incus_sdk_peer.py`, ...common, String(concurrency)],
      };
  }
}
