/**
 * `incusops`: the command line of @incusops/operations. List, show, wait
 * for (with progress bars), cancel and watch Incus/LXD operations, and
 * query any endpoint, on the local socket or on the remotes of your
 * incus/lxc `config.yml`.
 *
 * ```sh
 * deno run -A jsr:@incusops/operations/cli list --format yaml
 * deno run -A jsr:@incusops/operations/cli wait prod:9a8b7c6d-1234-4abc-9def-0123456789ab --timeout 2m
 * ```
 *
 * Put it on PATH with `deno install -g -A -n incusops jsr:@incusops/operations/cli`.
 *
 * Exit codes: {@linkcode ExitCode} (what each means: `incusops --help`).
 *
 * @example Run it from a script, on the fake daemon, capturing its output
 * ```ts
 * import { run } from "@incusops/operations/cli";
 * import { FakeDaemon } from "@incusops/operations/testing";
 *
 * await using daemon = await FakeDaemon.start();
 * daemon.createOperation({ description: "Creating instance" });
 * let stdout = "";
 * const code = await run(["list", "--format", "json"], {
 *   stdout: (text) => stdout += text,
 *   stderr: (text) => console.error(text),
 *   terminal: false,
 *   connect: { socket: daemon.path },
 * });
 * console.log(code, JSON.parse(stdout)[0].description); // 0 "Creating instance"
 * ```
 *
 * @module
 */

import { run, writeAll } from "./commands.ts";

export { describeFailure, ExitCode, run, USAGE } from "./commands.ts";
export type { CliIo } from "./commands.ts";

/**
 * Runs `incusops` with `args` on this process's stdout and stderr.
 *
 * @param args The arguments, without the program name.
 * @returns The exit code.
 *
 * @example
 * ```ts
 * import { main } from "@incusops/operations/cli";
 *
 * const code = await main(["--version"]); // prints "incusops <version>"
 * console.log(code); // 0 (see ExitCode)
 * ```
 */
export function main(args: readonly string[]): Promise<number> {
  return run(args, {
    stdout: (text) => writeAll(Deno.stdout, text),
    stderr: (text) => writeAll(Deno.stderr, text),
    terminal: Deno.stderr.isTerminal(),
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
