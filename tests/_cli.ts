/**
 * The `incusops` command line as a child process, for the unit and
 * integration suites: one-shot runs, and `watch` read line by line until
 * SIGINT.
 */

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
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--import-map", MAP, MAIN, "watch"],
    env: { DENO_DIR, PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
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
