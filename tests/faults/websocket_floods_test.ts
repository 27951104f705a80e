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
import { type Client, connect, ConnectionError, ProtocolError } from "../../mod.ts";
import { FakeDaemon } from "../../src/testing/mod.ts";
import { readStallingProxy } from "./_misbehaving.ts";
import { until } from "../_fake.ts";
import { MiB, outcome, within } from "./_bounded.ts";
import { floodingDaemon, serverFrame } from "./_websocket_peers.ts";

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
  assertStringIncludes(error?.message ?? "", `more than ${4 * MiB} bytes of events behind`);
  assertStringIncludes(error?.message ?? "", "raise maxQueuedBytes");
  assertLess(read, 5, "the queue was dropped at the bound");
});

Deno.test("8.65 websocket floods: endless empty continuation frames end the stream with a ProtocolError naming maxResponseBytes", async () => {
  await using daemon = floodingDaemon("empty-continuations", 4); // 131,072 frames
  for (const maxResponseBytes of [undefined, MiB]) {
    await using client = connect({ socket: daemon.path, events: false, maxResponseBytes });
    await using stream = client.events();
    const error = await within(10_000, outcome(stream.next())) as ProtocolError;
    assertInstanceOf(error, ProtocolError);
    assertStringIncludes(
      error?.message ?? "",
      `over the ${maxResponseBytes ?? 64 * MiB}-byte limit`,
    );
    assertStringIncludes(error?.message ?? "", "each fragment counts 1024 bytes at least");
    assertStringIncludes(error?.message ?? "", "raise maxResponseBytes");
  }
});

Deno.test("8.66 websocket floods: a control frame over 125 bytes is a ProtocolError", async () => {
  await using daemon = floodingDaemon(serverFrame(9, new Uint8Array(200)), 1);
  await using client = connect({ socket: daemon.path, events: false });
  await using stream = client.events();
  const error = await within(10_000, outcome(stream.next())) as ProtocolError;
  assertInstanceOf(error, ProtocolError);
  assertStringIncludes(error?.message ?? "", "a control frame over 125 bytes");
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

/** An operation websocket of `daemon` (any id and secret: the hostile daemon accepts all). */
async function operationSocket(client: Client): Promise<WebSocket> {
  return await client.operations.websocket(crypto.randomUUID(), "secret");
}

/** The error event and then the close event of `socket`. */
function ending(socket: WebSocket): Promise<[ErrorEvent | undefined, CloseEvent]> {
  let error: ErrorEvent | undefined;
  socket.onerror = (event) => error = event as ErrorEvent;
  return new Promise((resolve) => socket.onclose = (event) => resolve([error, event]));
}

Deno.test("8.109 websocket floods: an operation websocket message over maxResponseBytes ends the socket with a ProtocolError", async () => {
  await using daemon = floodingDaemon("big-events", 16);
  await using client = connect({ socket: daemon.path, events: false, maxResponseBytes: MiB / 2 });
  const socket = await operationSocket(client);
  let read = 0;
  socket.onmessage = () => read++;
  const [error, close] = await within(10_000, ending(socket));
  assertEquals([read, socket.readyState, close.code, close.wasClean], [
    0,
    WebSocket.CLOSED,
    1006,
    false,
  ]);
  assertInstanceOf(error?.error, ProtocolError);
  assertInstanceOf((socket as WebSocket & { error: unknown }).error, ProtocolError);
  assertStringIncludes(error?.message ?? "", `a message over the ${MiB / 2}-byte limit`);
  assertStringIncludes(error?.message ?? "", "raise maxResponseBytes");
  await within(10_000, daemon.ended); // the connection is closed: nothing more is read
});

Deno.test("8.110 websocket floods: endless empty continuation frames end an operation websocket with a ProtocolError, memory flat", async () => {
  await using daemon = floodingDaemon("empty-continuations");
  await using client = connect({ socket: daemon.path, events: false, maxResponseBytes: 4 * MiB });
  const before = Deno.memoryUsage().rss;
  const socket = await operationSocket(client);
  const [error, close] = await within(10_000, ending(socket));
  assertInstanceOf(error?.error, ProtocolError);
  assertStringIncludes(error?.message ?? "", "each fragment counts 1024 bytes at least");
  assertEquals([socket.readyState, close.code], [WebSocket.CLOSED, 1006]);
  await within(10_000, daemon.ended);
  const grown = (Deno.memoryUsage().rss - before) / MiB;
  // A generous bound against an unbounded reader, not a measurement.
  assertLess(grown, 256, `RSS grew ${grown.toFixed(0)} MiB`);
});

Deno.test("8.111 websocket floods: a ping flood on an operation websocket never read nor written queues one pong; close() settles", async () => {
  const blocks = 200; // 102,400 pings of 125 bytes
  await using daemon = floodingDaemon("pings", blocks);
  await using client = connect({ socket: daemon.path, events: false });
  const socket = await operationSocket(client);
  const message = new Promise<MessageEvent>((resolve) => socket.onmessage = resolve);
  // The event after the flood arrives: reading went on while the pongs could not be written.
  assertStringIncludes((await within(30_000, message)).data, '"logging"');
  const closed = ending(socket);
  socket.close();
  const [error, close] = await within(10_000, closed);
  assertEquals([error, close.code, close.wasClean], [undefined, 1000, true]);
  await within(10_000, daemon.ended);
  assert(daemon.pongs > 0, "pongs were answered");
  assertLess(daemon.pongs, blocks * 512 / 10, `${daemon.pongs} pongs`);
});

Deno.test("8.115 websocket floods: kill() and resize() on an exec whose daemon never reads its control socket: the queue stops at 4 MiB, memory flat", async () => {
  await using daemon = await FakeDaemon.start();
  await using proxy = readStallingProxy(daemon.path);
  await using client = connect({ socket: proxy.path, events: false });
  await using run = await client.exec("c1", ["sleep", "1"]);
  const before = Deno.memoryUsage().rss;
  for (let i = 0; i < 1_000_000; i++) i % 2 ? run.resize(80, 24) : run.kill("SIGWINCH");
  const grown = (Deno.memoryUsage().rss - before) / MiB;
  // deno-lint-ignore no-console -- the figure for the fault matrix (+520 MiB for 500,000 calls before)
  console.log(`  RSS grew ${grown.toFixed(1)} MiB`);
  // Each call queued its frame before (~1 KiB a call with its promises); after, the
  // calls' garbage alone (15-150 MiB here, as the collector runs): a generous bound.
  assertLess(grown, 384, `RSS grew ${grown.toFixed(0)} MiB`);
  assertEquals((await within(15_000, run.status)).exitCode, 0);
});

Deno.test("8.116 websocket floods: sends on an operation websocket the daemon never reads: bufferedAmount stops at 4 MiB, then a ConnectionError ends it", async () => {
  await using daemon = await FakeDaemon.start();
  await using proxy = readStallingProxy(daemon.path);
  await using client = connect({ socket: proxy.path, events: false });
  const op = daemon.createOperation({ websockets: { data: () => {} } });
  const socket = await client.operations.websocket(op, (op.metadata?.fds as { data: string }).data);
  const ended = ending(socket);
  let peak = 0;
  for (let i = 0; i < 10_000 && socket.readyState === WebSocket.OPEN; i++) {
    socket.send(new Uint8Array(1024));
    peak = Math.max(peak, socket.bufferedAmount);
  }
  assertLess(peak, 4 * MiB + 2048);
  const [error, close] = await within(10_000, ended);
  assertInstanceOf(error?.error, ConnectionError);
  assertStringIncludes(
    error?.message ?? "",
    "stopped reading it (over 4194304 bytes of writes queued)",
  );
  assertEquals(close.code, 1006);
  daemon.finish(op.id, { status: "Success" });
});
