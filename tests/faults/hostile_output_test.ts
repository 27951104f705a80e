/**
 * What a hostile daemon prints (issue 26 §4): terminal escape sequences in
 * descriptions, statuses, metadata, member names and error texts reach the
 * terminal only escaped, in every human format, with or without NO_COLOR;
 * odd value types (a numeric status) never crash a command. The daemon is
 * the fake, answering hostile data on cue.
 */

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { run } from "../../src/cli/commands.ts";
import { cli, startCli } from "../_cli.ts";
import { printable } from "../../src/cli/format.ts";
import { fake, operationReads, until } from "../_fake.ts";

/** Title change, screen clear (7-bit and C1 forms), bell, carriage return, backspace. */
const HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x9b2J\rX\b";
const ESCAPED = "\\u001b]0;pwned\\u0007\\u001b[2J\\u009b2J\\rX\\u0008";

/** Any control character but the line feeds ending lines. */
const CONTROL = /(?!\n)\p{Cc}/u;

const envelope = (metadata: unknown) => Response.json({ type: "sync", status_code: 200, metadata });

Deno.test("printable: every control character escaped (C0, DEL, C1), the rest kept; any value", () => {
  assertEquals(printable(HOSTILE), ESCAPED);
  assertEquals(printable("a\nb\tc\x7f\x85é ✓"), "a\\nb\\tc\\u007f\\u0085é ✓");
  assertEquals([printable(42), printable(true), printable(null), printable({})], [
    "42",
    "true",
    "",
    "",
  ]);
  const mega = printable("\x1b".repeat(1 << 20)); // linear: one pass of a one-character class
  assertEquals(mega.length, 6 << 20);
});

Deno.test("8.88 hostile daemon: escape sequences print escaped in table and csv; json and yaml escape them too", async () => {
  await using t = await fake();
  const { daemon } = t;
  daemon.createOperation({
    description: `Creating ${HOSTILE}`,
    metadata: { [HOSTILE]: HOSTILE },
  });
  for (const format of ["table", "csv", "json", "yaml"]) {
    const { code, stdout, stderr } = await cli(daemon.path, ["list", "--format", format]);
    assertEquals(code, 0, stderr);
    assert(!CONTROL.test(stdout), `${format}: ${JSON.stringify(stdout)}`);
    if (format === "table" || format === "csv") assertStringIncludes(stdout, `Creating ${ESCAPED}`);
  }
});

Deno.test("8.89 hostile daemon: error texts and a numeric status print escaped; table and csv survive odd types", async () => {
  await using t = await fake();
  const { daemon } = t;
  const op = daemon.createOperation();
  const odd = { ...op, status: 200, class: 7, description: ["x"], created_at: null, project: {} };
  daemon.interceptor = (_request, url) => {
    if (url.pathname === "/1.0/operations") return envelope({ running: [odd] });
    if (url.pathname.startsWith("/1.0/operations/")) {
      return Response.json({ type: "error", error: `Forbidden ${HOSTILE}`, error_code: 403 }, {
        status: 403,
      });
    }
  };
  const shown = await cli(daemon.path, ["show", op.id]);
  assertEquals(shown.code, 1);
  assertStringIncludes(shown.stderr, `Forbidden ${ESCAPED}`);
  assert(!CONTROL.test(shown.stderr), JSON.stringify(shown.stderr));
  for (const format of ["table", "csv"]) {
    const listed = await cli(daemon.path, ["list", "--format", format]);
    assertEquals(listed.code, 0, listed.stderr);
    assertStringIncludes(listed.stdout, "200");
  }
});

Deno.test("8.90 hostile daemon: watch prints escaped lines and survives a numeric status", async () => {
  await using t = await fake();
  const { daemon } = t;
  const controller = new AbortController();
  let stdout = "";
  let stderr = "";
  const watching = run(["watch"], {
    stdout: (text) => {
      stdout += text;
      if (stdout.includes("done")) controller.abort();
    },
    stderr: (text) => stderr += text,
    terminal: false,
    connect: { socket: t.daemon.path },
    signal: controller.signal,
  });
  await until(() => stderr.includes("watching"));
  const id = crypto.randomUUID();
  daemon.emitEvent("operation", { id, status: 200, description: HOSTILE, metadata: null });
  daemon.emitEvent("operation", { id, status: "Success", description: "done" });
  assertEquals(await watching, 0, stderr);
  assertStringIncludes(stdout, `${id} 200       ${ESCAPED}\n`);
  assert(!CONTROL.test(stdout), JSON.stringify(stdout));
});

for (const noColor of [false, true]) {
  Deno.test(`8.91 hostile daemon: wait's progress on a terminal shows the stage escaped (NO_COLOR ${noColor})`, async () => {
    await using t = await fake();
    const { daemon } = t;
    const op = daemon.createOperation();
    const { output, done } = startCli(daemon.path, ["wait", op.id, "--timeout", "10s"], {
      terminal: true,
      noColor,
    });
    await until(() => daemon.eventStreams === 1 && operationReads(daemon) >= 1);
    daemon.update(op.id, { progress: { stage: HOSTILE, percent: "40" } });
    await until(() => output.stderr.includes("40%"));
    daemon.finish(op.id, { status: "Success" });
    const { code, stderr } = await done;
    assertEquals(code, 0, stderr);
    assertStringIncludes(stderr, `40% ${ESCAPED}`);
    // Only the display's own redraws: "\r\x1b[2K", or "\r" and spaces under NO_COLOR.
    const own = noColor ? "\r" : "\r\x1b[2K";
    assert(!CONTROL.test(stderr.replaceAll(own, "")), JSON.stringify(stderr));
  });
}
