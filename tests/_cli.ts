/**
 * The `incusops` command line for the tests, in one place: run in this
 * process on a socket (output captured), as a child process (one-shot, or
 * `watch` read line by line until SIGINT), and a Deno script as a child
 * process the same way.
 */

import { run } from "../src/cli/commands.ts";

const ROOT = new URL("../", import.meta.url);

/** The offline import map (JSR is unreachable in CI). */
export const MAP: string = decodeURIComponent(new URL(".ci/offline-imports.json", ROOT).pathname);
/** The CLI's entry point. */
export const MAIN: string = decodeURIComponent(new URL("src/cli/main.ts", ROOT).pathname);
/** The module cache in use (a child with another HOME must still find it). */
export const DENO_DIR: string = JSON.parse(
  new TextDecoder().decode(
    new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).outputSync().stdout,
  ),
).denoDir;

/** What a command printed, and its exit code. */
export interface CliOutput {
  /** The exit code. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/** How the CLI runs in this process. */
export interface InProcess {
  /** Standard error is a terminal (progress bars). */
  terminal?: boolean;
  /** `NO_COLOR`: no escape codes. */
  noColor?: boolean;
}

/**
 * Starts `incusops args` in this process on `socket`: `output` grows as
 * it writes, `done` resolves with the exit code and the whole output.
 */
export function startCli(
  socket: string,
  args: string[],
  more: InProcess = {},
): { output: CliOutput; done: Promise<CliOutput> } {
  const output: CliOutput = { code: -1, stdout: "", stderr: "" };
  const done = run(args, {
    stdout: (text) => output.stdout += text,
    stderr: (text) => output.stderr += text,
    terminal: more.terminal ?? false,
    noColor: more.noColor ?? false,
    connect: { socket },
  }).then((code) => ({ ...output, code }));
  return { output, done };
}

/** Runs `incusops args` in this process on `socket`. */
export function cli(socket: string, args: string[], more: InProcess = {}): Promise<CliOutput> {
  return startCli(socket, args, more).done;
}

/** How a child process runs. */
export interface ChildOptions {
  /**
   * Its environment: exactly these variables (and DENO_DIR and PATH), so
   * that the runner's INCUS_SOCKET & co. are not found; with `inheritEnv`,
   * these on top of this process's.
   */
  env?: Record<string, string>;
  /** Keep this process's environment. */
  inheritEnv?: boolean;
  /** Deno's permission flags (default `-A`). */
  flags?: string[];
  /** The script to run (default: the CLI). */
  script?: string;
  /** Run it inside the network namespace of this process id (nsenter). */
  netns?: string;
}

function command(args: string[], options: ChildOptions, streams: Deno.CommandOptions) {
  const { env = {}, inheritEnv = false, flags = ["-A"], script = MAIN, netns } = options;
  const deno = ["run", "--no-prompt", ...flags, "--import-map", MAP, script, ...args];
  const inNetns = netns === undefined ? [] : [`--net=/proc/${netns}/ns/net`, Deno.execPath()];
  return new Deno.Command(netns === undefined ? Deno.execPath() : "nsenter", {
    args: [...inNetns, ...deno],
    env: inheritEnv ? env : { DENO_DIR, PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", ...env },
    clearEnv: !inheritEnv,
    stdin: "null",
    ...streams,
  });
}

/** Runs `incusops args` (or `options.script`) as a child process, without a terminal. */
export async function spawnCli(args: string[], options: ChildOptions = {}): Promise<CliOutput> {
  const output = await command(args, options, {}).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

/** A running `incusops watch`. */
export interface WatchProcess {
  /** Resolves once it listens (its "watching" banner on stderr). */
  listening(): Promise<void>;
  /** Reads stdout until `pattern` matches all read so far; resolves with it. */
  readUntil(pattern: RegExp): Promise<string>;
  /** Sends SIGINT, closes the pipes, resolves with the exit code. */
  interrupt(): Promise<number>;
}

/** Starts `incusops watch` with exactly `env` (plus DENO_DIR and PATH). */
export function startWatch(env: Record<string, string>): WatchProcess {
  const child = command(["watch"], { env }, { stdout: "piped", stderr: "piped" }).spawn();
  const stdout = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const stderr = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  const until = async (
    reader: ReadableStreamDefaultReader<string>,
    pattern: RegExp,
  ): Promise<string> => {
    let text = "";
    while (!pattern.test(text)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`watch ended before ${pattern}: ${text}`);
      text += value;
    }
    return text;
  };
  return {
    listening: async () => void await until(stderr, /watching/),
    readUntil: (pattern) => until(stdout, pattern),
    interrupt: async () => {
      child.kill("SIGINT");
      const { code } = await child.status;
      await stdout.cancel();
      await stderr.cancel();
      return code;
    },
  };
}
