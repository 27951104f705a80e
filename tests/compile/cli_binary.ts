/**
 * `deno compile` smoke test for the `incusops` command line (issue 6):
 * compiles src/cli/main.ts into a temporary directory, then runs the binary
 * (no TTY, a clean environment) against the fake daemon: `list --format
 * json` lists the operations, a usage error exits 2, a missing socket exits 4.
 *
 * Run with `deno task test:compile`. It is NOT part of `deno task test*`
 * (the folder scan only takes `*_test.ts`): `deno compile` downloads its
 * runtime (denort) from dl.deno.land, and a machine that cannot reach it
 * (this CI) fails here with a message saying so ("blocked by the
 * environment"), not with a false pass. Any other compile failure, or a
 * binary that misbehaves, fails with its output.
 *
 * @module
 */

import { assertEquals, assertStringIncludes } from "@std/assert";
import { FakeDaemon } from "../../src/testing/mod.ts";

const ROOT = new URL("../../", import.meta.url);
const path = (file: string) => decodeURIComponent(new URL(file, ROOT).pathname);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Compiles the CLI into `dir`; returns the binary's path or throws why not. */
async function compile(dir: string): Promise<string> {
  const binary = `${dir}/incusops`;
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "compile",
      "-A",
      "--import-map",
      path(".ci/offline-imports.json"),
      "--output",
      binary,
      path("src/cli/main.ts"),
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  if (output.success) return binary;
  const stderr = decode(output.stderr);
  if (/dl\.deno\.land|Download/.test(stderr) && /error sending request|dns|Connect/i.test(stderr)) {
    const cause = stderr.split("\n").find((line) => /error sending request/.test(line))
      ?.replace(/^\s*\d+:\s*/, "");
    throw new Error(
      "blocked by the environment: deno compile must download its runtime (denort) from " +
        `dl.deno.land, which this machine cannot reach (${cause ?? "download failed"}); ` +
        "run `deno task test:compile` where dl.deno.land is reachable or the runtime is cached",
    );
  }
  throw new Error(`deno compile failed (exit ${output.code}):\n${stderr}`);
}

/** Runs the binary without a TTY, with only `env` (plus PATH). */
async function run(binary: string, env: Record<string, string>, ...args: string[]) {
  const output = await new Deno.Command(binary, {
    args,
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: "/tmp/incusops-nohome", ...env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

Deno.test("deno compile: the incusops binary lists the fake's operations as JSON; exit codes 2 and 4", async () => {
  const dir = await Deno.makeTempDir({ prefix: "incusops-compile-" });
  try {
    const binary = await compile(dir);
    await using daemon = await FakeDaemon.start();
    const a = daemon.createOperation({ description: "Compiled list", mayCancel: true });
    const b = daemon.createOperation({ class: "websocket", metadata: { fds: { "0": "s3cret" } } });
    const env = { INCUS_SOCKET: daemon.path };

    const listed = await run(binary, env, "list", "--format", "json");
    assertEquals(listed.code, 0, listed.stderr);
    const ops: { id: string; description: string; metadata: { fds?: Record<string, string> } }[] =
      JSON.parse(listed.stdout);
    assertEquals(ops.map((op) => op.id).sort(), [a.id, b.id].sort());
    assertEquals(ops.find((op) => op.id === a.id)?.description, "Compiled list");
    assertEquals(ops.find((op) => op.id === b.id)?.metadata.fds?.["0"], "********");

    const usage = await run(binary, env, "list", "--format", "xml");
    assertEquals(usage.code, 2);
    assertEquals(usage.stderr.trim().split("\n").length, 1, usage.stderr);

    const missing = await run(binary, { INCUS_SOCKET: `${dir}/no.socket` }, "list");
    assertEquals(missing.code, 4);
    assertStringIncludes(missing.stderr, `${dir}/no.socket`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
