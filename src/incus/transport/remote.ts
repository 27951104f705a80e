/**
 * Remotes as the incus and lxc command lines know them: `config.yml` in
 * `INCUS_CONF` (alone when set), else `~/.config/incus` or `~/.config/lxc`,
 * with `client.crt` / `client.key` (or per-remote `clientcerts/<remote>.crt/.key`)
 * and pinned `servercerts/<remote>.crt`.
 *
 * The file is parsed with `@std/yaml`, loaded only when a config is read.
 * Only a regular file under {@linkcode MAX_CONFIG_BYTES} is read (never a
 * FIFO or a device), names are own properties only, and `local` always
 * means the local socket, as in the incus CLI.
 *
 * @module
 */

import { readTextLimited } from "../../core/body.ts";
// deno-lint-ignore no-unused-vars -- for {@linkcode} in the docs
import type { ConnectionError } from "../../core/errors.ts";
import { connectError, notPermitted } from "./transport_errors.ts";
import type { ConnectionTarget } from "./target.ts";

/** Largest `config.yml` read, bytes (the incus CLI's files hold a few hundred). */
export const MAX_CONFIG_BYTES = 256 * 1024;

/** Largest certificate or key file read, bytes. */
const MAX_PEM_BYTES = 64 * 1024;

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
  /** `tls` (client certificate) or `oidc` (the incus CLI's stored OIDC tokens). */
  authType?: string;
}

/** A parsed `config.yml`. */
export interface CliConfig {
  /** The folder it was read from ("" when none was found). */
  dir: string;
  /** `default-remote`. */
  defaultRemote: string;
  /** The remotes by name (a prototype-less record: only own names). */
  remotes: Record<string, RemoteConfig>;
}

/** Where a remote leads: a socket (undefined: the usual resolution) or a URL with its certificates. */
export interface ResolvedRemote extends Omit<ConnectionTarget, "ca"> {
  /** The remote's name. */
  name: string;
  /** The remote's project. */
  project?: string;
  /** For an `auth_type: oidc` remote: the folder whose `oidctokens/<name>.json` holds its tokens. */
  oidcConfigDir?: string;
}

/** Reads an environment variable; throws `Deno.errors.NotCapable` when not permitted. */
export type EnvReader = (name: string) => string | undefined;

/**
 * The folders searched for `config.yml`: `INCUS_CONF` alone when set (as
 * the incus CLI does; `HOME` is then not read), else `~/.config/incus`
 * then `~/.config/lxc`; none without `HOME`.
 *
 * @param env Reads a variable (default `Deno.env.get`).
 * @returns The folders, in order.
 * @throws {ConnectionError} The variables may not be read: names `--allow-env`.
 */
export function configDirs(env: EnvReader = (name) => Deno.env.get(name)): string[] {
  const read = (name: string) => {
    try {
      return env(name) || undefined;
    } catch (error) {
      if (!notPermitted(error)) throw error;
      throw connectError(
        `cannot read ${name} to find config.yml: run deno with --allow-env=INCUS_CONF,HOME ` +
          `(or pass connect({ socket }) / connect({ url }) instead of a remote)`,
        name,
      );
    }
  };
  const conf = read("INCUS_CONF");
  if (conf !== undefined) return [conf];
  const home = read("HOME");
  return home === undefined ? [] : [`${home}/.config/incus`, `${home}/.config/lxc`];
}

/**
 * Reads a regular file of at most `limit` bytes; `undefined` when it does
 * not exist. A FIFO, device or directory (also behind a symlink) is refused
 * without being opened, and the read stops at the limit. `refuse` makes the
 * error of a refusal from its text (`<path>: <why>`; by default a
 * {@linkcode ConnectionError}).
 */
export async function readSmallFile(
  path: string,
  limit: number,
  refuse = (text: string): Error => connectError(text, path),
): Promise<string | undefined> {
  const fail = (why: string) => refuse(`${path}: ${why}`);
  let file: Deno.FsFile;
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) {
      throw fail(
        `not a regular file (${
          info.isFifo ? "a FIFO" : info.isDirectory ? "a directory" : "a device or socket"
        }); it is not read`,
      );
    }
    if (info.size > limit) throw fail(`${info.size} bytes, over the ${limit}-byte limit`);
    file = await Deno.open(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    if (error instanceof Deno.errors.NotCapable) {
      throw fail(`Deno may not read it: run deno with --allow-read=${path}`);
    }
    if (error instanceof Deno.errors.PermissionDenied) throw fail("permission denied");
    throw error;
  }
  // Capped again: the file may have grown or been swapped since the stat. Its
  // stream closes it, read to the end or cancelled.
  return await readTextLimited(
    new Response(file.readable),
    limit,
    () => fail(`over the ${limit}-byte limit`),
  );
}

/** `value` when it is a string (YAML's failsafe schema makes every scalar one). */
const text = (value: unknown): string | undefined => typeof value === "string" ? value : undefined;

/** An own property of a parsed YAML mapping, never an inherited one. */
function own(node: unknown, key: string): unknown {
  return node !== null && typeof node === "object" && Object.hasOwn(node, key)
    ? (node as Record<string, unknown>)[key]
    : undefined;
}

/** The built-in remote: the local daemon, resolved as `connect()` does. */
const LOCAL: RemoteConfig = { addr: "unix://" };

function builtIn(dir: string): CliConfig {
  const remotes: Record<string, RemoteConfig> = Object.create(null);
  remotes.local = { ...LOCAL };
  return { dir, defaultRemote: "local", remotes };
}

/** Turns parsed YAML into a configuration; `local` stays the local socket. */
function toConfig(dir: string, tree: unknown): CliConfig {
  const config = builtIn(dir);
  const listed = own(tree, "remotes");
  if (listed !== null && typeof listed === "object") {
    for (const name of Object.keys(listed)) {
      const entry = own(listed, name);
      if (entry === null || typeof entry !== "object") continue;
      const project = text(own(entry, "project"));
      if (name === "local") {
        // Like the incus CLI: "local" cannot be pointed at another daemon.
        config.remotes.local = project === undefined ? { ...LOCAL } : { ...LOCAL, project };
        continue;
      }
      config.remotes[name] = {
        addr: text(own(entry, "addr")) ?? "",
        protocol: text(own(entry, "protocol")),
        project,
        public: text(own(entry, "public")) === "true",
      };
      const authType = text(own(entry, "auth_type"));
      if (authType !== undefined) config.remotes[name].authType = authType;
    }
  }
  config.defaultRemote = text(own(tree, "default-remote")) ?? "local";
  return config;
}

/**
 * Reads the first `config.yml` found in `dirs` (or the built-in `local`
 * remote only), loading `@std/yaml` on first use.
 *
 * @param dirs The folders to search (default: {@linkcode configDirs}).
 * @returns The configuration.
 * @throws {ConnectionError} The file is not a regular file, too large, not
 * permitted, or not valid YAML: the message names it.
 */
export async function loadConfig(dirs: readonly string[] = configDirs()): Promise<CliConfig> {
  for (const dir of dirs) {
    const path = `${dir}/config.yml`;
    const source = await readSmallFile(path, MAX_CONFIG_BYTES);
    if (source === undefined) continue;
    const { parse } = await import("@std/yaml/parse");
    let tree: unknown;
    try {
      tree = parse(source, { schema: "failsafe" });
    } catch (error) {
      const why = error instanceof RangeError
        ? "nested too deeply"
        : error instanceof Error
        ? error.message.split("\n")[0]
        : String(error);
      throw connectError(`${path}: not a usable config.yml: ${why}`, path);
    }
    return toConfig(dir, tree);
  }
  return builtIn(dirs[0] ?? "");
}

/**
 * Resolves a remote by name (default: the config's `default-remote`) to
 * what `connect()` needs, reading its certificates. Throws a
 * {@linkcode ConnectionError} naming the remote and the fix when it is
 * unknown, an image server, or lacks a client certificate.
 *
 * @param name The remote's name.
 * @param config The parsed configuration (default: {@linkcode loadConfig}).
 * @returns Where it leads.
 */
export async function resolveRemote(
  name?: string,
  config?: CliConfig,
): Promise<ResolvedRemote> {
  config ??= await loadConfig();
  const remoteName = name ?? config.defaultRemote;
  const fail = (why: string) => connectError(`remote "${remoteName}": ${why}`, remoteName);
  const remote = Object.hasOwn(config.remotes, remoteName) ? config.remotes[remoteName] : undefined;
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
  // An OIDC remote: bearer tokens instead of a client certificate, as the incus CLI does.
  const oidc = remote.authType === "oidc" ? { oidcConfigDir: config.dir } : {};
  if (remote.addr.startsWith("unix:")) {
    const socket = remote.addr.replace(/^unix:\/\//, "") || undefined;
    return { name: remoteName, socket, project: remote.project, ...oidc };
  }
  if (!remote.addr.startsWith("https://")) {
    throw fail(`unsupported address ${JSON.stringify(remote.addr)} (expected unix:// or https://)`);
  }
  const pem = (file: string) => readSmallFile(`${config.dir}/${file}`, MAX_PEM_BYTES);
  const url = remote.addr;
  const serverCert = await pem(`servercerts/${remoteName}.crt`);
  if (remote.authType === "oidc") {
    return { name: remoteName, url, serverCert, project: remote.project, ...oidc };
  }
  const cert = await pem(`clientcerts/${remoteName}.crt`) ?? await pem("client.crt");
  const key = await pem(`clientcerts/${remoteName}.key`) ?? await pem("client.key");
  if (cert === undefined || key === undefined) {
    throw fail(
      `no client certificate: expected ${config.dir}/client.crt and client.key ` +
        `(or clientcerts/${remoteName}.crt/.key); "incus remote add" creates them`,
    );
  }
  return { name: remoteName, url, cert, key, serverCert, project: remote.project };
}
