/**
 * Command-line parsing for `incusops`: a command, positional arguments and
 * `--flag value` / `--flag=value` / `-X value` options.
 *
 * @module
 */

/** A parsed command line. */
export interface ParsedArgs {
  /** The command (`list`, `wait`, ...), or "" when none was given. */
  command: string;
  /** Positional arguments after the command. */
  positional: string[];
  /** Options by long name. */
  options: Map<string, string | true>;
}

/** A usage mistake: exit code 2. */
export class UsageError extends Error {
  /**
   * @param message What is wrong and how to fix it.
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Short option aliases. */
const SHORT: Record<string, string> = {
  X: "request",
  d: "data",
  f: "format",
  h: "help",
  p: "project",
};

/** Options that take no value. */
const FLAGS = new Set([
  "all-projects",
  "all-remotes",
  "wait",
  "show-secrets",
  "help",
  "no-progress",
]);

/** Parses `args` (without the program name). */
export function parseArgs(args: readonly string[]): ParsedArgs {
  const options = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      positional.push(...args.slice(i + 1));
      break;
    }
    let name: string | undefined;
    let value: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      if (eq >= 0) value = arg.slice(eq + 1);
    } else if (/^-[A-Za-z]$/.test(arg)) {
      name = SHORT[arg[1]];
      if (name === undefined) throw new UsageError(`unknown option ${arg} (see incusops --help)`);
    }
    if (name === undefined) {
      positional.push(arg);
      continue;
    }
    if (FLAGS.has(name)) {
      options.set(name, true);
      continue;
    }
    if (value === undefined) {
      value = args[++i];
      if (value === undefined) throw new UsageError(`option --${name} needs a value`);
    }
    options.set(name, value);
  }
  const [command = "", ...rest] = positional;
  return { command, positional: rest, options };
}

/** `30s`, `500ms`, `2m`, `1h` or a number of seconds, in ms. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (match === null) {
    throw new UsageError(`invalid duration ${JSON.stringify(text)} (expected e.g. 30s, 500ms, 2m)`);
  }
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[match[2] ?? "s"]!;
  return Math.round(Number(match[1]) * unit);
}
