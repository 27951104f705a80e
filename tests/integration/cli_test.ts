/**
 * The `incusops` command line, as a process without a TTY, against both
 * real daemons: list, show, wait (success, failure, timeout), cancel and
 * query, with their exit codes.
 */

import { assertEquals, assertStringIncludes } from "@std/assert";
import { connectTo, DAEMONS, startExec, startSleep } from "./_daemons.ts";

const ROOT = new URL("../../", import.meta.url);
const MAP = decodeURIComponent(new URL(".ci/offline-imports.json", ROOT).pathname);
const MAIN = decodeURIComponent(new URL("src/cli/main.ts", ROOT).pathname);
const DENO_DIR: string = JSON.parse(
  new TextDecoder().decode(
    new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).outputSync().stdout,
  ),
).denoDir;

for (const daemon of DAEMONS) {
  const incusops = async (...args: string[]) => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--import-map", MAP, MAIN, ...args],
      // No config.yml: the "local" remote, found through INCUS_SOCKET.
      env: { INCUS_SOCKET: daemon.socket, HOME: "/nonexistent", DENO_DIR },
      stdin: "null",
    }).output();
    const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
  };

  Deno.test(`${daemon.name}: incusops list/show/wait/cancel/query with exit codes`, async () => {
    await using client = connectTo(daemon);
    const running = await startSleep(client, daemon, 4);
    const listed = await incusops("list", "--format", "json", "--status", "running");
    assertEquals(listed.code, 0, listed.stderr);
    const ids = JSON.parse(listed.stdout).map((op: { id: string }) => op.id);
    assertEquals(ids.includes(running.id), true);
    const table = await incusops("list");
    assertStringIncludes(table.stdout, `| ${running.id} | TASK | Executing command | RUNNING |`);
    const shown = JSON.parse((await incusops("show", running.id, "--format", "json")).stdout);
    assertEquals(shown.status, "Running");
    const refused = await incusops("cancel", running.id);
    assertEquals(refused.code, 1);
    assertStringIncludes(refused.stderr, "cannot be cancelled");
    const timedOut = await incusops("wait", running.id, "--timeout", "500ms");
    assertEquals(timedOut.code, 3);
    const done = await incusops("wait", running.id, "--timeout", "30s");
    assertEquals(done.code, 0, done.stderr);
    assertStringIncludes(done.stderr, `${running.id.slice(0, 8)}: Success`);
    const failing = await startExec(client, daemon, ["/no/such/command"]);
    const failed = await incusops("wait", failing.id);
    assertEquals(failed.code, 1);
    assertEquals(failed.stderr.trim().split("\n").length, 1);
    const instance = JSON.parse((await incusops("query", "/1.0/instances/c1")).stdout);
    assertEquals(instance.name, "c1");
  });
}
