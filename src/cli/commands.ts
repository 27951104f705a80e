/**
 * The `incusops` commands: list, show, wait, cancel, delete, watch, query.
 * `run()` returns the exit code: 0 success, 1 operation failed, cancelled
 * or refused by the server, 2 usage error, 3 timeout, 4 connection error.
 *
 * @module
 */

import { type Client, connect, type ConnectOptions } from "../../mod.ts";
import {
  ConnectionError,
  IncusError,
  InvalidArgumentError,
  OperationCancelledError,
  OperationFailedError,
  OperationTimeoutError,
} from "../../mod.ts";
import { type Operation, STATUS_KEYS } from "../../mod.ts";
import { loadConfig } from "../../mod.ts";
import { parseProgress } from "../../mod.ts";
import { parseArgs, type ParsedArgs, parseDuration, UsageError } from "./args.ts";
import { type Format, formatOperations, FORMATS, maskSecrets, toYaml } from "./format.ts";
import { ProgressDisplay } from "./progress.ts";

/** Exit codes. */
export const ExitCode = {
  /** Success. */
  Ok: 0,
  /** An operation failed or was cancelled, or the server refused. */
  Failed: 1,
  /** The command line is wrong. */
  Usage: 2,
  /** `--timeout` passed. */
  Timeout: 3,
  /** The daemon cannot be reached. */
  Connection: 4,
} as const;

/** Where the CLI writes, and how it connects (tests and the demo replace these). */
export interface CliIo {
  /** Standard output. */
  stdout(text: string): void;
  /** Standard error. */
  stderr(text: string): void;
  /** Whether standard error is a terminal (progress bars) or not (plain lines). */
  terminal: boolean;
  /** Connection options given by the caller (e.g. the demo's socket). */
  connect?: ConnectOptions;
  /** Ends `watch` (default: Ctrl-C). */
  signal?: AbortSignal;
}

/** The usage text. */
export const USAGE = `incusops: Incus/LXD operations from the command line

Usage: incusops <command> [options]

Commands:
  list [--format table|json|yaml|csv] [--status running,...] [--project P] [--all-projects]
  show <id> [--format yaml|json]
  wait <id>... [--timeout 30s]          progress bar on a terminal, plain lines otherwise
  cancel <id>                           (delete <id> is the same on Incus/LXD)
  watch [--project P] [--all-projects]  live operation events until Ctrl-C
  query [-X METHOD] [-d JSON] [--wait] <path>

Options: --remote <name> (or <remote>:<id>), --show-secrets, --help
Exit codes: 0 ok, 1 operation failed/cancelled/refused, 2 usage, 3 timeout, 4 connection
`;

function option(args: ParsedArgs, name: string): string | undefined {
  const value = args.options.get(name);
  return value === true ? undefined : value;
}

/** Splits `<remote>:<id>`; the remote also comes from `--remote`. */
function target(args: ParsedArgs, value: string): { remote?: string; id: string } {
  const colon = value.indexOf(":");
  if (colon > 0 && !value.startsWith("/")) {
    return { remote: value.slice(0, colon), id: value.slice(colon + 1) };
  }
  return { remote: option(args, "remote"), id: value };
}

function open(io: CliIo, remote: string | undefined, project?: string): Client {
  const options: ConnectOptions = { ...io.connect };
  // Like the incus CLI: without a remote, the config's default-remote ("local" when none).
  if (remote !== undefined) options.remote = remote;
  else if (io.connect === undefined) options.remote = loadConfig().defaultRemote;
  if (project !== undefined) options.project = project;
  return connect(options);
}

function formatOf(args: ParsedArgs, fallback: Format): Format {
  const format = option(args, "format") ?? fallback;
  if (!FORMATS.includes(format as Format)) {
    throw new UsageError(`unknown format ${JSON.stringify(format)} (use ${FORMATS.join(", ")})`);
  }
  return format as Format;
}

function ids(args: ParsedArgs, count: "one" | "many"): { remote?: string; ids: string[] } {
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
function statusesOf(args: ParsedArgs): string[] | undefined {
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

async function list(args: ParsedArgs, io: CliIo): Promise<number> {
  const format = formatOf(args, "table");
  const statuses = statusesOf(args);
  await using client = open(io, option(args, "remote"), option(args, "project"));
  let ops = await client.operations.list({ allProjects: args.options.has("all-projects") });
  if (statuses !== undefined) ops = ops.filter((op) => statuses.includes(op.status.toLowerCase()));
  if (!args.options.has("show-secrets")) ops = maskSecrets(ops);
  io.stdout(formatOperations(ops, format) + "\n");
  return ExitCode.Ok;
}

async function show(args: ParsedArgs, io: CliIo): Promise<number> {
  const { remote, ids: [id] } = ids(args, "one");
  const format = formatOf(args, "yaml");
  if (format !== "yaml" && format !== "json") {
    throw new UsageError(
      `show prints yaml or json, not ${format}: incusops show <id> --format json`,
    );
  }
  await using client = open(io, remote, option(args, "project"));
  let op = await client.operations.get(id);
  if (!args.options.has("show-secrets")) op = maskSecrets(op);
  io.stdout((format === "json" ? JSON.stringify(op, null, 2) : toYaml(op)) + "\n");
  return ExitCode.Ok;
}

async function wait(args: ParsedArgs, io: CliIo): Promise<number> {
  const { remote, ids: wanted } = ids(args, "many");
  const timeoutText = option(args, "timeout");
  const timeout = timeoutText === undefined ? undefined : parseDuration(timeoutText);
  const display = new ProgressDisplay({ write: io.stderr, terminal: io.terminal });
  try {
    await using client = open(io, remote, option(args, "project"));
    const label = (op: Operation) => op.id.slice(0, 8);
    const finals = await client.operations.waitAll(wanted, {
      timeout,
      onProgress: (progress, op) => display.progress(label(op), progress),
    });
    for (const op of finals) display.done(label(op), op.status);
    return ExitCode.Ok;
  } finally {
    display.close();
  }
}

async function cancel(args: ParsedArgs, io: CliIo): Promise<number> {
  const { remote, ids: [id] } = ids(args, "one");
  await using client = open(io, remote, option(args, "project"));
  await client.operations.cancel(id);
  io.stdout(`${id}: cancel requested\n`);
  return ExitCode.Ok;
}

async function watch(args: ParsedArgs, io: CliIo): Promise<number> {
  await using client = open(io, option(args, "remote"), option(args, "project"));
  const controller = new AbortController();
  const stop = () => controller.abort();
  io.signal?.addEventListener("abort", stop, { once: true });
  let listening = false;
  if (io.signal === undefined) {
    Deno.addSignalListener("SIGINT", stop);
    listening = true;
  }
  try {
    const stream = client.events({
      types: ["operation"],
      allProjects: args.options.has("all-projects"),
      signal: controller.signal,
    });
    await stream.opened;
    io.stderr("watching operations (Ctrl-C to stop)\n");
    for await (const event of stream) {
      const op = event.metadata as Operation;
      const progress = parseProgress(op.metadata);
      const extra = progress?.percent !== undefined ? ` ${progress.percent}%` : "";
      io.stdout(
        `${event.timestamp} ${op.id} ${op.status.padEnd(9)} ${op.description}${extra}\n`,
      );
    }
    return ExitCode.Ok;
  } finally {
    if (listening) Deno.removeSignalListener("SIGINT", stop);
    io.signal?.removeEventListener("abort", stop);
  }
}

async function query(args: ParsedArgs, io: CliIo): Promise<number> {
  if (args.positional.length !== 1) {
    throw new UsageError("query needs one API path: incusops query [-X METHOD] [-d JSON] /1.0/...");
  }
  const { remote, id: path } = target(args, args.positional[0]);
  const method = (option(args, "request") ?? "GET").toUpperCase();
  if (!["GET", "POST", "PUT", "PATCH", "DELETE"].includes(method)) {
    throw new UsageError(`unknown method ${method} (GET, POST, PUT, PATCH, DELETE)`);
  }
  const data = option(args, "data");
  let body: unknown;
  if (data !== undefined) {
    try {
      body = JSON.parse(data);
    } catch {
      throw new UsageError(`-d must be JSON, got ${JSON.stringify(data.slice(0, 40))}`);
    }
  }
  await using client = open(io, remote, option(args, "project"));
  let result = await client.query(path, {
    method: method as "GET",
    body,
    wait: args.options.has("wait"),
  });
  if (!args.options.has("show-secrets")) result = maskSecrets(result);
  io.stdout(JSON.stringify(result, null, 2) + "\n");
  return ExitCode.Ok;
}

const COMMANDS: Record<string, (args: ParsedArgs, io: CliIo) => Promise<number>> = {
  list,
  show,
  wait,
  cancel,
  delete: cancel,
  watch,
  query,
};

/** The exit code and one-line message for an error. */
export function describeFailure(error: unknown): { code: number; message: string } {
  const text = error instanceof Error ? error.message : String(error);
  if (error instanceof UsageError || error instanceof InvalidArgumentError) {
    return { code: ExitCode.Usage, message: `${text} (see incusops --help)` };
  }
  if (
    error instanceof OperationTimeoutError ||
    error instanceof DOMException && error.name === "TimeoutError"
  ) {
    return {
      code: ExitCode.Timeout,
      message: `${text}; the operation keeps running (raise --timeout)`,
    };
  }
  if (error instanceof ConnectionError) return { code: ExitCode.Connection, message: text };
  if (error instanceof OperationFailedError || error instanceof OperationCancelledError) {
    return { code: ExitCode.Failed, message: text };
  }
  if (error instanceof IncusError) return { code: ExitCode.Failed, message: text };
  return { code: ExitCode.Failed, message: text };
}

/**
 * Runs one command line and resolves with its exit code; messages go to
 * `io` (one line per error on stderr), never thrown.
 *
 * @param argv The arguments, without the program name.
 * @param io Output and connection settings.
 * @returns The exit code.
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const args = parseArgs(argv);
    if (args.options.has("help") || args.command === "" || args.command === "help") {
      (args.command === "" && !args.options.has("help") ? io.stderr : io.stdout)(USAGE);
      return args.command === "" && !args.options.has("help") ? ExitCode.Usage : ExitCode.Ok;
    }
    const command = COMMANDS[args.command];
    if (command === undefined) {
      throw new UsageError(`unknown command ${JSON.stringify(args.command)}`);
    }
    return await command(args, io);
  } catch (error) {
    const { code, message } = describeFailure(error);
    io.stderr(`incusops: ${message.split("\n")[0]}\n`);
    return code;
  }
}
