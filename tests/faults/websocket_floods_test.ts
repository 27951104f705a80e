/**
 * Hostile websocket daemons (`_websocket_peers.ts`) against the client's
 * paced websockets (events here; exec streams read the same way): memory
 * is bounded in bytes, a breach ends the stream with a `ProtocolError`
 * naming the bound and the option that lifts it, and an abort stops the
 * reading. `bench/websocket_floods.ts` measures the memory.
 */

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertLess,
  assertStringIncludes,
} from "@std/assert";
import { connect, ProtocolError } from "../../mod.ts";
import { until } from "../_fake.ts";
import { outcome, within } from "./_bounded.ts";
import { floodingDaemon, serverFrame } from "./_websocket_peers.ts";

const MiB = 1024 * 1024;

Deno.test("8.64 websocket floods: 1 MiB events past maxQueuedBytes end the stream with a ProtocolError naming it", async () => {
  await using daemon = floodingDaemon("big-events", 16);
  await using client = connect({ socket: daemon.path, events: false });
  await using stream = client.events({ maxQueuedBytes: 4 * MiB });
  await stream.opened;
  await until(() => daemon.written === 16); // unread: the client took 15 MiB or more
  let read = 0;
  const error = await within(
    10_000,
    outcome((async () => {
      for await (const _ of stream) read++;
    })()),
  ) as ProtocolError;
  assertInstanceOf(error, ProtocolError);
  assertStringIncludes(error.message, `more than ${4 * MiB} bytes of events behind`);
  assertStringIncludes(error.message, "raise maxQueuedBytes");
  assertLess(read, 5, "the queue was dropped at the bound");
});

Deno.test("8.65 websocket floods: endless empty continuation frames end the stream with a ProtocolError naming maxResponseBytes", async () => {
  await using daemon = floodingDaemon("empty-continuations", 4); // 131,072 frames
  for (const maxResponseBytes of [undefined, MiB]) {
    await using client = connect({ socket: daemon.path, events: false, maxResponseBytes });
    await using stream = client.events();
    const error = await within(10_000, outcome(stream.next())) as ProtocolError;
    assertInstanceOf(error, ProtocolError);
    assertStringIncludes(error.message, `over the ${maxResponseBytes ?? 64 * MiB}-byte limit`);
    assertStringIncludes(error.message, "each fragment counts 1024 bytes at least");
    assertStringIncludes(error.message, "raise maxResponseBytes");
  }
});

Deno.test("8.66 websocket floods: a control frame over 125 bytes is a ProtocolError", async () => {
  await using daemon = floodingDaemon(serverFrame(9, new Uint8Array(200)), 1);
  await using client = connect({ socket: daemon.path, events: false });
  await using stream = client.events();
  const error = await within(10_000, outcome(stream.next())) as ProtocolError;
  assertInstanceOf(error, ProtocolError);
  assertStringIncludes(error.message, "a control frame over 125 bytes");
});

Deno.test("8.67 websocket floods: a ping flood from a daemon that never reads queues one pong, not one per ping", async () => {
  const blocks = 200; // 102,400 pings of 125 bytes
  await using daemon = floodingDaemon("pings", blocks);
  await using client = connect({ socket: daemon.path, events: false });
  const stream = client.events();
  // The event after the flood arrives: reading went on while the pongs could not be written.
  const first = await within(30_000, stream.next());
  assertEquals(first.value?.type, "logging");
  await within(10_000, stream.close());
  await within(10_000, daemon.ended);
  assert(daemon.pongs > 0, "pongs were answered");
  // Unbounded, every ping queued its own pong (102,400 of them, 3.3 GiB after a long flood).
  assertLess(daemon.pongs, blocks * 512 / 10, `${daemon.pongs} pongs`);
});

Deno.test("8.68 websocket floods: an abort stops the reading of an endless message, memory flat (no byte bound set)", async () => {
  await using daemon = floodingDaemon("empty-continuations");
  await using client = connect({ socket: daemon.path, events: false, maxResponseBytes: Infinity });
  const controller = new AbortController();
  const stream = client.events({ signal: controller.signal });
  const before = Deno.memoryUsage().rss;
  await until(() => daemon.written >= 32); // a million frames taken
  controller.abort();
  assertEquals(await within(10_000, stream.next()), { done: true, value: undefined });
  await within(10_000, daemon.ended); // the connection is gone: nothing reads it any more
  const grown = (Deno.memoryUsage().rss - before) / MiB;
  // A generous bound against the unbounded reader (~450 MiB a second here), not a measurement.
  assertLess(grown, 256, `RSS grew ${grown.toFixed(0)} MiB`);
});
