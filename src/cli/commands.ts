/**
 * The `incusops` command line: `run()` parses it, runs the command (each
 * loaded only when used, so `list` starts without what `wait` and `watch`
 * need) and returns the exit code ({@linkcode ExitCode}).
 *
 * @module
 */

import { parseArgs, type ParsedArgs, UsageError } from "./args.ts";
import type { CliIo } from "./context.ts";
import { describeFailure, EXIT_CODES, ExitCode } from "./exit_codes.ts";
import { printable } from "./format.ts";

export { describeFailure, ExitCode } from "./exit_codes.ts";
export type { CliIo } from "./context.ts";

/** `text` in lines of at most 96 characters, the next ones indented under the first's text. */
function wrap(text: string): string {
  const lines = [""];
  for (const word of text.split(/(?<=\S) /)) {
    const line = lines.length - 1;
    if (lines[line].length + word.length >= 96) lines.push(`     ${word}`);
    else lines[line] += lines[line] === "" ? word : ` ${word}`;
  }
  return lines.join("\n");
}

/** The usage text. */
export const USAGE = `incusops: Incus/LXD operations from the command line

Usage: incusops <command> [options]

Commands:
  list [<remote>:] [--format table|json|yaml|csv] [--status running,...] [--project P]
       [--all-projects] [--target <member>]   LOCATION on a cluster
       [--remote a,b,c | --all-remotes] [--remote-timeout 30s]   REMOTE; a time limit each
  show <id> [--format yaml|json]
  wait <id>... [--timeout 30s] [--format table|json|yaml] [--quiet]
                                        progress on stderr (a bar on a terminal), then
                                        the final operations on stdout (none with --quiet)
  cancel <id>                           (delete <id> is the same on Incus/LXD)
  watch [--project P] [--all-projects]  live operation events until Ctrl-C
  query [-X METHOD] [-d JSON] [--wait] <path>

Options: --remote <name> (or <remote>:<id>), -p/--project, --show-secrets, --help, --version
Durations need a unit: 500ms, 30s, 2m, 1h.
The socket: INCUS_SOCKET / INCUS_DIR or LXD_SOCKET / LXD_DIR (used alone), else the usual
places; config.yml (INCUS_CONF, else ~/.config/incus or ~/.config/lxc) is read only for
--remote, <remote>:<id>, or when no socket variable is set (its default-remote).

Exit codes:
${EXIT_CODES.map((row) => wrap(`  ${row.code}  ${row.when.replaceAll("`", "")}`)).join("\n")}
`;

type Command = (args: ParsedArgs, io: CliIo) => Promise<number>;

/** Each command, imported when it runs. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  list: async () => (await import("./requests.ts")).list,
  show: async () => (await import("./requests.ts")).show,
  cancel: async () => (await import("./requests.ts")).cancel,
  delete: async () => (await import("./requests.ts")).cancel,
  query: async () => (await import("./requests.ts")).query,
  wait: async () => (await import("./follow.ts")).wait,
  watch: async () => (await import("./follow.ts")).watch,
};

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
    if (args.options.has("version")) {
      io.stdout(`incusops ${await version()}\n`);
      return ExitCode.Ok;
    }
    if (args.options.has("help") || args.command === "" || args.command === "help") {
      (args.command === "" && !args.options.has("help") ? io.stderr : io.stdout)(USAGE);
      return args.command === "" && !args.options.has("help") ? ExitCode.Usage : ExitCode.Ok;
    }
    const load = Object.hasOwn(COMMANDS, args.command) ? COMMANDS[args.command] : undefined;
    if (load === undefined) throw new UsageError(`unknown command ${JSON.stringify(args.command)}`);
    return await (await load())(args, io);
  } catch (error) {
    const { code, message } = describeFailure(error);
    io.stderr(`incusops: ${printable(message.split("\n")[0])}\n`);
    return code;
  }
}

const encoder = new TextEncoder();

/** Writes all of `text` to `file` (a single write may take only part of it). */
export function writeAll(file: typeof Deno.stdout, text: string): void {
  const bytes = encoder.encode(text);
  for (let offset = 0; offset < bytes.length;) offset += file.writeSync(bytes.subarray(offset));
}

/** The package version, from deno.json (read only for --version). */
async function version(): Promise<string> {
  const config = await import("../../deno.json", { with: { type: "json" } });
  return String(config.default.version);
}
