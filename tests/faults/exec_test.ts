/**
 * Fault matrix 33–35, exec on the real daemons: a daemon that never answers
 * the websocket closing handshake (a proxy swallows the client's close),
 * a command flooding stdout that nobody reads (memory stays bounded: the
 * client stops reading), and `output()`'s cap.
 */

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertLess,
  assertStringIncludes,
} from "@std/assert";
import { connect, ProtocolError } from "../../mod.ts";
import { DAEMONS } from "../integration/_daemons.ts";
import { closeSwallowingProxy } from "./_misbehaving.ts";
import { MiB, outcome, within } from "./_bounded.ts";

for (const daemon of DAEMONS) {
  const { name, instance } = daemon;

  Deno.test(`8.33 ${name}: a daemon that never answers the websocket close: the signal still wins, output() of a finished command returns`, async () => {
    await using proxy = closeSwallowingProxy(daemon.socket);
    {
      await using client = connect({ socket: proxy.path });
      const controller = new AbortController();
      const started = performance.now();
      {
        await using run = await client.exec(instance, ["sleep", "60"], {
          signal: controller.signal,
        });
        const reason = new Error("enough");
        controller.abort(reason);
        assertEquals(await within(15_000, outcome(run.status)), reason, "status rejects with it");
      } // `await using` returned
      const abortMs = performance.now() - started;
      const output = await within(
        15_000,
        client.exec(instance, ["echo", "hello"]).then((run) => run.output()),
      );
      assertEquals([output.exitCode, output.stdoutText], [0, "hello\n"]);
      assert(proxy.swallowed > 0, "the proxy held a close");
      // deno-lint-ignore no-console -- the figure the README quotes
      console.log(`  abort settled after ${abortMs.toFixed(0)} ms`);
    }
  });

  Deno.test(`8.34 ${name}: cat /dev/zero with stdout unread: the client stops reading (memory bounded), reading resumes it`, async () => {
    await using client = connect({ socket: daemon.socket });
    await using run = await client.exec(instance, ["cat", "/dev/zero"]);
    const reader = run.stdout.getReader();
    const first = await reader.read(); // the flood has begun
    assert(first.value !== undefined && first.value.length > 0);
    const before = Deno.memoryUsage().rss;
    let peak = before;
    // Sampled for 3 s: an unpaced client grew ~140 MiB a second here.
    for (const end = performance.now() + 3_000; performance.now() < end;) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      peak = Math.max(peak, Deno.memoryUsage().rss);
    }
    const grown = (peak - before) / MiB;
    // deno-lint-ignore no-console -- the figure the README quotes
    console.log(`  RSS grew ${grown.toFixed(1)} MiB in 3 s of an unread flood`);
    assertLess(grown, 64, `RSS grew ${grown.toFixed(1)} MiB`);
    // Reading resumes the flow: 64 MiB arrive.
    let received = 0;
    while (received < 64 * MiB) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the stream ended early");
      received += value.length;
    }
    reader.releaseLock();
  });

  Deno.test(`8.35 ${name}: output() past maxResponseBytes is a ProtocolError and the command is killed`, async () => {
    await using client = connect({ socket: daemon.socket, maxResponseBytes: 4 * MiB });
    const run = await client.exec(instance, ["cat", "/dev/zero"]);
    const error = await within(30_000, outcome(run.output())) as ProtocolError;
    assertInstanceOf(error, ProtocolError);
    assertStringIncludes(error.message, `${4 * MiB}-byte limit`);
    assertStringIncludes(error.message, run.id);
    const status = await within(30_000, outcome(run.status.then((s) => s.exitCode)));
    assert(status === undefined || typeof status === "object", "status settles");
    const final = await client.operations.get(run.id);
    assert(final.status !== "Running", `the command was killed (${final.status})`);
  });
}
