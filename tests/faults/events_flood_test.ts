/**
 * Fault matrix 37: a daemon flooding `/1.0/events` while the reader takes
 * 100 ms per event. The stream keeps at most `maxQueued` events unread:
 * past it the socket is closed and the next read rejects, so the memory
 * stays bounded (it grew by ~150 MiB a second before).
 */

import {
  assertEquals,
  assertInstanceOf,
  assertLess,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { connect, ConnectionError, InvalidArgumentError, ProtocolError } from "../../mod.ts";
import { FakeDaemon } from "../../src/testing/mod.ts";
import { MiB, outcome, within } from "./_bounded.ts";
import { misbehaving, write } from "./_misbehaving.ts";
import { acceptUpgrade, repeated, textFrame } from "./_websocket_peers.ts";

/** A daemon whose `/1.0/events` sends 1 KiB events as fast as the client takes them. */
function eventFlood() {
  return misbehaving(async (conn) => {
    if (!(await acceptUpgrade(conn))) return;
    const event = textFrame(JSON.stringify({
      type: "logging",
      timestamp: new Date(0).toISOString(),
      metadata: { message: "x".repeat(1000) },
    }));
    const batch = repeated(event, 64);
    // Until the client closes: each write waits for the client to take it.
    for (;;) await write(conn, batch);
  });
}

Deno.test("8.37 events: a flooding daemon and a slow reader: bounded memory, then a clear error", async () => {
  await using daemon = eventFlood();
  await using client = connect({ socket: daemon.path, events: false });
  const stream = client.events();
  await stream.opened;
  const before = Deno.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => peak = Math.max(peak, Deno.memoryUsage().rss), 50);
  let received = 0;
  let error: unknown;
  const end = performance.now() + 3_000;
  try {
    for await (const _ of stream) {
      received++;
      await new Promise((resolve) => setTimeout(resolve, 100)); // a slow reader
      if (performance.now() > end) break;
    }
  } catch (caught) {
    error = caught;
  } finally {
    clearInterval(sampler);
  }
  const grown = (peak - before) / MiB;
  // deno-lint-ignore no-console -- the figure the README quotes
  console.log(`  RSS grew ${grown.toFixed(1)} MiB; ${received} events read before the error`);
  assertLess(grown, 96, `RSS grew ${grown.toFixed(1)} MiB`);
  assertInstanceOf(error, ConnectionError);
  assertStringIncludes((error as Error).message, "fell more than 10000 events behind");
});

Deno.test("8.37b events: maxQueued is checked, and a reader past it gets the error at its next read", async () => {
  await using daemon = await FakeDaemon.start();
  await using client = connect({ socket: daemon.path, events: false });
  for (const bad of [0, -1, 1.5, NaN, "3"]) {
    assertThrows(() => client.events({ maxQueued: bad as number }), InvalidArgumentError);
  }
  await using stream = client.events({ types: ["lifecycle"], maxQueued: 5 });
  await using witness = client.events({ types: ["lifecycle"] });
  await Promise.all([stream.opened, witness.opened]);
  for (let i = 0; i < 20; i++) daemon.emitEvent("lifecycle", { action: `a${i}` });
  // Once the witness has all 20, the unread stream got more than 5 of them too.
  for (let i = 0; i < 20; i++) await within(5_000, witness.next());
  const error = await within(5_000, outcome(stream.next())) as ConnectionError;
  assertInstanceOf(error, ConnectionError);
  assertStringIncludes(error.message, "fell more than 5 events behind");
  assertEquals(await stream.next(), { done: true, value: undefined });
});

Deno.test("8.112 events: a watch whose consumer never pulls keeps maxQueued news or maxQueuedBytes, then ends with a ProtocolError naming it", async () => {
  await using daemon = await FakeDaemon.start();
  await using client = connect({ socket: daemon.path });
  const cases = [
    [{ maxQueued: 100 }, 150, 10, "more than 100 events behind", "raise maxQueued)"],
    [{ maxQueuedBytes: 64 * 1024 }, 20, 8 * 1024, "more than 65536 bytes", "raise maxQueuedBytes"],
  ] as const;
  for (const [limits, updates, size, bound, fix] of cases) {
    const op = daemon.createOperation();
    const stalled = client.operations.watch(op, limits);
    assertEquals((await stalled.next()).value?.status, "Running"); // subscribed, then never pulled
    // A second watch shares the events connection: once it saw the last update, so did the first.
    const reader = client.operations.watch(op);
    await reader.next();
    for (let step = 0; step < updates; step++) {
      daemon.update(op.id, { step, pad: "x".repeat(size) });
    }
    for await (const state of reader) if (state.metadata?.step === updates - 1) break;
    const error = await within(10_000, outcome(stalled.next())) as ProtocolError;
    assertInstanceOf(error, ProtocolError);
    assertStringIncludes(error.message, bound);
    assertStringIncludes(error.message, `the watch of operation ${op.id} was closed`);
    assertStringIncludes(error.message, fix);
    daemon.finish(op.id, { status: "Success" });
  }
  const bad = client.operations.watch(daemon.createOperation(), { maxQueued: 0 });
  await assertRejects(() => bad.next(), InvalidArgumentError, "maxQueued");
});
