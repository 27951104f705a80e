/**
 * Remotes as the incus and lxc command lines know them: `config.yml` in
 * `INCUS_CONF`, `~/.config/incus` or `~/.config/lxc`, with `client.crt` /
 * `client.key` (or per-remote `clientcerts/<remote>.crt/.key`) and pinned
 * `servercerts/<remote>.crt`.
 *
 * @module
 */

import { ConnectionError } from "../../core/errors.ts";
import type { ConnectionTarget } from "./target.ts";

/** One remote of `config.yml`. */
export interface RemoteConfig {
  /** `unix://`, `unix:///path/to/unix.socket` or `https://host:8443`. */
  addr: string;
  /** `incus`, `lxd` or `simplestreams` (image servers, not usable here). */
  protocol?: string;
  /** The remote's default project. */
  project?: string;
  /** Whether it is a public image server. */
  public?: boolean;
}

/** A parsed `config.yml`. */
export interface CliConfig {
  /** The folder it was read from. */
  dir: string;
  /** `default-remote`. */
  defaultRemote: string;
  /** The remotes by name. */
  remotes: Record<string, RemoteConfig>;
}

/** Where a remote leads: a socket (undefined: the usual search) or a URL with its certificates. */
export interface ResolvedRemote extends Omit<ConnectionTarget, "ca"> {
  /** The remote's name. */
  name: string;
  /** The remote's project. */
  project?: string;
}

type Tree = { [key: string]: Tree | string };

/** Reads the YAML subset `config.yml` uses: nested `key: value` maps, comments, quotes. */
export function parseSimpleYaml(text: string): Tree {
  const root: Tree = {};
  const stack: { indent: number; node: Tree }[] = [{ indent: -1, node: root }];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\s+#.*$/, "").replace(/^#.*$/, "");
    if (line.trim() === "") continue;
    const indent = line.length - line.trimStart().length;
    const match = /^([^:]+):\s*(.*)$/.exec(line.trim());
    if (match === null) continue; // lists and other forms config.yml does not use
    while (stack.length > 1 && stack[stack.length - 1].indent >= indent) stack.pop();
    const parent = stack[stack.length - 1].node;
    const key = match[1].trim().replace(/^["']|["']$/g, "");
    const value = match[2].trim();
    if (value === "") {
      const child: Tree = {};
      parent[key] = child;
      stack.push({ indent, node: child });
    } else if (value !== "{}") {
      parent[key] = value.replace(/^"(.*)"$/, "$1").replace(/^'(.*)'$/, "$1");
    } else parent[key] = {};
  }
  return root;
}

/** The folders searched for `config.yml`, in order. */
export function configDirs(): string[] {
  const home = Deno.env.get("HOME");
  const dirs: string[] = [];
  const conf = Deno.env.get("INCUS_CONF");
  if (conf) dirs.push(conf);
  if (home) dirs.push(`${home}/.config/incus`, `${home}/.config/lxc`);
  return dirs;
}

function readIfExists(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/**
 * Reads the first `config.yml` found (or the built-in `local` remote only).
 *
 * @param dirs The folders to search, first match wins.
 * @default {configDirs()}
 * @returns The configuration.
 *
 * @example
 * ```ts
 * import { loadConfig } from "@incusops/operations";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(
 *   `${dir}/config.yml`,
 *   "default-remote: prod\nremotes:\n  prod:\n    addr: https://prod.example:8443\n",
 * );
 * const config = loadConfig([dir]);
 * assertEquals([config.defaultRemote, Object.keys(config.remotes)], ["prod", ["local", "prod"]]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function loadConfig(dirs: string[] = configDirs()): CliConfig {
  for (const dir of dirs) {
    const text = readIfExists(`${dir}/config.yml`);
    if (text === undefined) continue;
    const tree = parseSimpleYaml(text);
    const remotes: Record<string, RemoteConfig> = { local: { addr: "unix://" } };
    const listed = tree.remotes;
    if (listed !== undefined && typeof listed === "object") {
      for (const [name, entry] of Object.entries(listed)) {
        if (typeof entry !== "object") continue;
        remotes[name] = {
          addr: String(entry.addr ?? ""),
          protocol: typeof entry.protocol === "string" ? entry.protocol : undefined,
          project: typeof entry.project === "string" ? entry.project : undefined,
          public: entry.public === "true",
        };
      }
    }
    const defaultRemote = typeof tree["default-remote"] === "string"
      ? tree["default-remote"]
      : "local";
    return { dir, defaultRemote, remotes };
  }
  return { dir: dirs[0] ?? "", defaultRemote: "local", remotes: { local: { addr: "unix://" } } };
}

/**
 * Resolves a remote by name (default: the config's `default-remote`) to
 * what `connect()` needs, reading its certificates. Throws a
 * {@linkcode ConnectionError} naming the remote and the fix when it is
 * unknown, an image server, or lacks a client certificate.
 *
 * @param name The remote's name; unset: the config's `default-remote`.
 * @param config The parsed configuration.
 * @default {loadConfig()}
 * @returns Where it leads.
 *
 * @example
 * ```ts
 * import { loadConfig, resolveRemote } from "@incusops/operations";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/config.yml`, "remotes:\n  here:\n    addr: unix:///tmp/x.sock\n");
 * const remote = resolveRemote("here", loadConfig([dir]));
 * assertEquals(remote.url ?? remote.socket, "/tmp/x.sock");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function resolveRemote(name?: string, config: CliConfig = loadConfig()): ResolvedRemote {
  const remoteName = name ?? config.defaultRemote;
  const fail = (why: string) =>
    new ConnectionError(`remote "${remoteName}": ${why}`, {
      status: 0,
      method: "CONNECT",
      path: "",
      target: remoteName,
    });
  const remote = config.remotes[remoteName];
  if (remote === undefined) {
    const known = Object.keys(config.remotes).join(", ");
    throw fail(
      `not in ${config.dir ? `${config.dir}/config.yml` : "any config.yml"} (known: ${known}); ` +
        `add it with "incus remote add" or set INCUS_CONF`,
    );
  }
  if (remote.protocol === "simplestreams") {
    throw fail("is a simplestreams image server, which has no operations API");
  }
  if (remote.addr.startsWith("unix:")) {
    const path = remote.addr.replace(/^unix:\/\//, "");
    return { name: remoteName, socket: path === "" ? undefined : path, project: remote.project };
  }
  if (!remote.addr.startsWith("https://")) {
    throw fail(`unsupported address ${JSON.stringify(remote.addr)} (expected unix:// or https://)`);
  }
  const own = (ext: string) => readIfExists(`${config.dir}/clientcerts/${remoteName}.${ext}`);
  const cert = own("crt") ?? readIfExists(`${config.dir}/client.crt`);
  const key = own("key") ?? readIfExists(`${config.dir}/client.key`);
  if (cert === undefined || key === undefined) {
    throw fail(
      `no client certificate: expected ${config.dir}/client.crt and client.key ` +
        `(or clientcerts/${remoteName}.crt/.key); "incus remote add" creates them`,
    );
  }
  return {
    name: remoteName,
    url: remote.addr,
    cert,
    key,
    serverCert: readIfExists(`${config.dir}/servercerts/${remoteName}.crt`),
    project: remote.project,
  };
}
