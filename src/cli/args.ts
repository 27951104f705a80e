/**
 * Command-line parsing for `incusops` with `@std/cli`'s `parseArgs`: a
 * command, positional arguments and `--flag value` / `--flag=value` /
 * `-X value` options; unknown options and missing values are usage errors.
 *
 * @module
 */

import { parseArgs as parseStd } from "@std/cli/parse-args";

/** A parsed command line. */
export interface ParsedArgs {
  /** The command (`list`, `wait`, ...), or "" when none was given. */
  command: string;
  /** Positional arguments after the command. */
  positional: string[];
  /** Options by long name (flags given are `true`). */
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

/** Options that take a value. */
const VALUES = "format status project remote remote-timeout target timeout request data".split(" ");

/** Options that take no value. */
const FLAGS = "all-projects all-remotes wait show-secrets help no-progress quiet version".split(
  " ",
);

/** Short option aliases. */
const SHORT = { X: "request", d: "data", f: "format", h: "help", p: "project", q: "quiet" };

/** The loose shape `parseArgs` resolves with. */
type Parsed = { _: (string | number)[]; "--"?: string[]; [option: string]: unknown };

/** Parses `args` (without the program name). */
export function parseArgs(args: readonly string[]): ParsedArgs {
  const parsed: Parsed = parseStd([...args], {
    string: [...VALUES, "_"],
    boolean: [...FLAGS],
    alias: SHORT,
    "--": true,
    unknown: (arg: string, key?: string) => {
      if (key === undefined) return true; // a positional argument
      throw new UsageError(`unknown option ${arg}`);
    },
  });
  const options = new Map<string, string | true>();
  for (const name of VALUES) {
    const value = parsed[name];
    if (value === undefined) continue;
    const last = Array.isArray(value) ? value.at(-1) : value;
    if (typeof last !== "string" || last === "") {
      throw new UsageError(`option --${name} needs a value`);
    }
    options.set(name, last);
  }
  for (const name of FLAGS) if (parsed[name] === true) options.set(name, true);
  const positional = [...parsed._, ...(parsed["--"] ?? [])].map(String);
  const [command = "", ...rest] = positional;
  return { command, positional: rest, options };
}

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** `30s`, `500ms`, `2m` or `1h`, in ms; a bare number is refused (seconds or milliseconds?). */
export function parseDuration(text: string): number {
  const match = /^(\d{1,9}(?:\.\d{1,9})?)(ms|s|m|h)?$/.exec(text.trim());
  if (match === null) {
    throw new UsageError(`invalid duration ${JSON.stringify(text)} (expected e.g. 30s, 500ms, 2m)`);
  }
  if (match[2] === undefined) {
    throw new UsageError(
      `duration ${JSON.stringify(text)} needs a unit: ${match[1]}s or ${match[1]}ms (also m, h)`,
    );
  }
  return Math.round(Number(match[1]) * UNITS[match[2]]);
}
