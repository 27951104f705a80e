/**
 * What every `incusops` command shares: where it writes, its options, its
 * ids and their remote, and the client it opens (config.yml read only
 * when a remote is used).
 *
 * @module
 */

// Each from its own module (not mod.ts); open() loads the client when a command runs.
import type { Client } from "../incus/client.ts";
import type { ConnectOptions } from "../incus/client_options.ts";
import { remoteOptions } from "../incus/open_transport.ts";
import { STATUS_KEYS } from "../incus/operation.ts";
import { SOCKET_VARIABLES } from "../incus/transport/socket.ts";
import { type ParsedArgs, UsageError } from "./args.ts";
import { type Format, FORMATS } from "./format.ts";

/** Where the CLI writes, and how it connects (tests and the demo replace these). */
export interface CliIo {
  /** Standard output. */
  stdout(text: string): void;
  /** Standard error. */
  stderr(text: string): void;
  /** Whether standard error is a terminal (progress bars) or not (plain lines). */
  terminal: boolean;
  /** Whether escape codes are forbidden (`NO_COLOR`; default: `Deno.noColor`). */
  noColor?: boolean;
  /** Connection options given by the caller (e.g. the demo's socket). */
  connect?: ConnectOptions;
  /** Ends `watch` (default: Ctrl-C). */
  signal?: AbortSignal;
}

/** The value of option `name`, if given. */
export function option(args: ParsedArgs, name: string): string | undefined {
  const value = args.options.get(name);
  return value === true ? undefined : value;
}

/** Splits `<remote>:<id>`; the remote also comes from `--remote`. */
export function target(args: ParsedArgs, value: string): { remote?: string; id: string } {
  const colon = value.indexOf(":");
  if (colon > 0 && !value.startsWith("/")) {
    return { remote: value.slice(0, colon), id: value.slice(colon + 1) };
  }
  return { remote: option(args, "remote"), id: value };
}

/** Whether a variable names the socket (an unreadable one counts: `connect()` names the flag). */
function socketNamed(): boolean {
  return SOCKET_VARIABLES.some((name) => {
    try {
      return !!Deno.env.get(name);
    } catch {
      return true;
    }
  });
}

/**
 * The client of a command. config.yml is read only for a remote: one
 * named, or, when no variable names a socket, its `default-remote` (as the
 * incus CLI; `local` when there is no config).
 */
export async function open(
  io: CliIo,
  remote: string | undefined,
  project?: string,
): Promise<Client> {
  let options: ConnectOptions = { ...io.connect };
  if (project !== undefined) options.project = project;
  if (remote !== undefined || (io.connect === undefined && !socketNamed())) {
    options = await remoteOptions(remote, options);
  }
  // Loaded on use: --help, --version and usage errors start without the client.
  const { connect } = await import("../incus/connect.ts");
  return connect(options);
}

/** `--format`, checked; `fallback` when not given. */
export function formatOf(args: ParsedArgs, fallback: Format): Format {
  const format = option(args, "format") ?? fallback;
  if (!FORMATS.includes(format as Format)) {
    throw new UsageError(`unknown format ${JSON.stringify(format)} (use ${FORMATS.join(", ")})`);
  }
  return format as Format;
}

/** The operation ids of a command (and their remote), checked. */
export function ids(args: ParsedArgs, count: "one" | "many"): { remote?: string; ids: string[] } {
  if (args.positional.length === 0 || (count === "one" && args.positional.length > 1)) {
    throw new UsageError(
      `${args.command} needs ${count === "one" ? "one operation id" : "operation ids"}: ` +
        `incusops ${args.command} <id>${count === "many" ? "..." : ""}`,
    );
  }
  const targets = args.positional.map((value) => target(args, value));
  const remotes = new Set(targets.map((t) => t.remote));
  if (remotes.size > 1) throw new UsageError("all ids of one command must be on the same remote");
  return { remote: targets[0].remote, ids: targets.map((t) => t.id) };
}

/** `--status running,success` in lower case; a misspelt status is a usage error, not an empty list. */
export function statusesOf(args: ParsedArgs): string[] | undefined {
  const statuses = option(args, "status")?.toLowerCase().split(",").map((s) => s.trim())
    .filter(Boolean);
  const known: readonly string[] = STATUS_KEYS;
  const unknown = statuses?.find((status) => !known.includes(status));
  if (unknown !== undefined) {
    throw new UsageError(
      `unknown status ${JSON.stringify(unknown)} (e.g. running, success, failure, cancelled)`,
    );
  }
  return statuses;
}
