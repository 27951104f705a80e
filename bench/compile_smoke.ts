// deno-lint-ignore-file no-console -- a benchmark reports its figures on stdout
/**
 * `deno compile` smoke test of the `incusops` command line (issue 6): the
 * CLI is compiled into one binary (offline import map) in a temporary
 * folder, then run without a TTY against the exported fake daemon:
 * `list --format json`, `wait`, a usage error (exit 2) and a missing
 * socket (exit 4).
 *
 * It is not part of the CI test run: `deno compile` downloads its runtime
 * (denort) from dl.deno.land. When that download is impossible (no
 * network, no DNS) it prints `BLOCKED` and why, and exits 0; any other
 * compile failure, or a binary that misbehaves, exits 1. `DENORT_BIN`
 * (a local denort) is honoured by `deno compile` itself.
 *
 * `deno task smoke:compile [--binary=PATH]` (`--binary`: check that
 * executable instead of compiling one).
 *
 * @module
 */

import { assertEquals, assertStringIncludes } from "@std/assert";
import { FakeDaemon } from "../src/testing/mod.ts";
import { compileCli } from "./_targets.ts";

const given = Deno.args.find((a) => a.startsWith("--binary="))?.slice("--binary=".length);
const dir = await Deno.makeTempDir({ prefix: "incusops-compile-" });
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Whether a failed `deno compile` only could not download denort. */
function downloadImpossible(stderr: string): boolean {
  return /dl\.deno\.land|denort/i.test(stderr) &&
    /dns error|failed to lookup|error sending request|Connect|timed out|unreachable/i.test(stderr);
}

async function compile(): Promise<string | undefined> {
  const binary = `${dir}/incusops`;
  const started = performance.now();
  const output = await compileCli(binary);
  const stderr = decode(output.stderr);
  if (output.success) {
    const size = (await Deno.stat(binary)).size;
    console.log(
      `compiled ${binary}: ${(size / 1e6).toFixed(1)} MB in ${
        ((performance.now() - started) / 1000).toFixed(1)
      } s`,
    );
    return binary;
  }
  if (downloadImpossible(stderr) && !Deno.env.get("DENORT_BIN")) {
    const why = stderr.split("\n").find((line) => /error sending request|dns error/.test(line));
    console.error(
      "BLOCKED: deno compile cannot download its runtime (denort) here: " +
        `${why?.replace(/^\s*\d+: /, "") ?? "dl.deno.land unreachable"}. ` +
        "Run this with network access, or with DENORT_BIN=<a denort binary>.",
    );
    return undefined;
  }
  throw new Error(`deno compile failed:\n${stderr}`);
}

async function check(binary: string): Promise<void> {
  await using daemon = await FakeDaemon.start();
  const run = async (env: Record<string, string>, ...args: string[]) => {
    const output = await new Deno.Command(binary, {
      args,
      env: { HOME: dir, PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", ...env },
      clearEnv: true,
      stdin: "null",
    }).output();
    return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
  };
  const env = { INCUS_SOCKET: daemon.path };
  const a = daemon.createOperation({ description: "Creating instance" });
  const b = daemon.createOperation({ durationMs: 50 });
  daemon.finish(a.id, { status: "Success" });

  const listed = await run(env, "list", "--format", "json");
  assertEquals(listed.code, 0, listed.stderr);
  assertEquals(JSON.parse(listed.stdout).map((op: { id: string }) => op.id), [a.id, b.id]);
  const waited = await run(env, "wait", b.id, "--timeout", "10s");
  assertEquals(waited.code, 0, waited.stderr);
  assertStringIncludes(waited.stderr, `${b.id.slice(0, 8)}: Success`);
  const usage = await run(env, "frobnicate");
  assertEquals(usage.code, 2);
  assertEquals(usage.stderr.trim().split("\n").length, 1);
  const missing = await run({ INCUS_SOCKET: `${dir}/no.socket` }, "list");
  assertEquals(missing.code, 4);
  assertStringIncludes(missing.stderr, `${dir}/no.socket`);
  console.log(`${binary}: list --format json, wait, exit codes 2 and 4 as expected`);
}

try {
  const binary = given ?? await compile();
  if (binary !== undefined) await check(binary);
} finally {
  await Deno.remove(dir, { recursive: true });
}
