/** Events, event-driven waits, watch, waitAll/waitAny and progress, on the fake daemon. */

import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import {
  connect,
  ConnectionError,
  type IncusEvent,
  InvalidArgumentError,
  type Operation,
  OperationFailedError,
  OperationNotFoundError,
  type Progress,
} from "../../mod.ts";
import type { FakeDaemon } from "../../src/testing/mod.ts";
import { fake, operationReads, until } from "../_fake.ts";
import { ManualClock, onClock } from "../_clock.ts";

const waits = (daemon: FakeDaemon) =>
  daemon.requests.filter((r) => r.path.endsWith("/wait")).length;

Deno.test("events(): typed events, filtered by type, ends cleanly on abort", async () => {
  await using t = await fake();
  const { daemon, client } = t;
  const controller = new AbortController();
  const stream = client.events({ types: ["operation"], signal: controller.signal });
  await stream.opened;
  const op = daemon.createOperation({ description: "evented" });
  daemon.emitEvent("lifecycle", { action: "instance-started" });
  daemon.finish(op.id, { status: "Success" });
  const seen: IncusEvent[] = [];
  for await (const event of stream) {
    seen.push(event);
    if (seen.length === 2) controller.abort();
  }
  assertEquals(seen.map((e) => [e.type, (e.metadata as Operation).status]), [
    ["operation", "Running"],
    ["operation", "Success"],
  ]);
  assertEquals(seen[0].project, "default");
  await until(() => daemon.eventStreams === 0);
});

Deno.test("events(): break closes the socket; a dropped stream throws ConnectionError", async () => {
  await using t = await fake();
  const { daemon, client } = t;
  const first = client.events();
  await first.opened;
  daemon.emitEvent("logging", { message: "one" });
  for await (const _ of first) break;
  await until(() => daemon.eventStreams === 0);
  const stream = client.events();
  await stream.opened;
  daemon.emitEvent("logging", { message: "hello" });
  daemon.dropEventStreams();
  const next = await stream.next();
  assertEquals(next.value?.type, "logging");
  await assertRejects(() => stream.next(), ConnectionError, "closed the event stream");
  assertEquals((await stream.next()).done, true);
  await until(() => daemon.eventStreams === 0);
  assertThrows(() => client.events({ types: ["bad type"] }), InvalidArgumentError);
});

Deno.test("events(): a refused stream rejects with the status and no secret", async () => {
  await using t = await fake();
  const { daemon, client } = t;
  daemon.eventsMode = "refuse";
  const error = await assertRejects(() => client.events().next(), ConnectionError);
  assert(error.message.includes("/1.0/events"), error.message);
  assert(error.message.includes(daemon.path), error.message);
});

Deno.test("wait: 200 concurrent waits share one events socket and send no /wait", async () => {
  await using t = await fake();
  const { daemon, client } = t;
  const ops = Array.from({ length: 200 }, () => daemon.createOperation());
  const waiting = Promise.all(ops.map((op) => client.operations.wait(op.id)));
  await until(() => daemon.eventStreams === 1);
  for (const op of ops) daemon.finish(op.id, { status: "Success", metadata: { return: 0 } });
  const finals = await waiting;
  assertEquals(finals.map((op) => op.status), ops.map(() => "Success"));
  assertEquals(finals[0].metadata?.return, 0);
  assertEquals([daemon.eventStreamsOpened, waits(daemon)], [1, 0]);
  // The 200 catch-up reads were one list, not 200 GETs.
  const paths = daemon.requests.map((r) => r.path);
  assertEquals(paths.filter((p) => p === "/1.0/operations").length, 1);
  assertEquals(paths.filter((p) => p.startsWith("/1.0/operations/")).length, 0);
});

Deno.test("wait: an operation that finished before the subscription resolves (catch-up read)", async () => {
  await using t = await fake();
  const { daemon, client } = t;
  const op = daemon.createOperation();
  daemon.finish(op.id, { status: "Failure", err: "boom" });
  const error = await assertRejects(() => client.operations.wait(op.id), OperationFailedError);
  assertEquals(error.message.includes("boom"), true);
});

Deno.test("wait: events refused → /wait long-polls, transparently (both flavors)", async () => {
  for (const flavor of ["incus", "lxd"] as const) {
    await using t = await fake({ flavor });
    const { daemon, client } = t;
    daemon.eventsMode = "refuse";
    const op = daemon.createOperation({ durationMs: 50 });
    assertEquals((await client.operations.wait(op.id)).status, "Success");
    assert(waits(daemon) >= 1, "fell back to /wait");
  }
});

Deno.test("wait: the events socket dropped mid-wait reconnects, catches up and resolves", async () => {
  await using t = await fake();
  const { daemon, client } = t;
  const op = daemon.createOperation();
  const waiting = client.operations.wait(op.id);
  // Subscribed and caught up: the finish below can only be learnt by reconnecting.
  await until(() => daemon.eventStreams === 1 && operationReads(daemon) >= 1);
  daemon.eventsMode = "silent"; // the finish below is never sent as an event
  daemon.dropEventStreams();
  daemon.finish(op.id, { status: "Success" });
  assertEquals((await waiting).status, "Success");
  assertEquals(daemon.eventStreamsOpened, 2);
});

Deno.test("wait: a silent events connection counts as dead after silenceMs", async () => {
  await using t = await fake({ client: { events: { silenceMs: 100 } } });
  const { daemon, client } = t;
  const op = daemon.createOperation();
  daemon.eventsMode = "silent";
  const waiting = client.operations.wait(op.id);
  await until(() => daemon.eventStreams === 1 && operationReads(daemon) >= 1);
  daemon.finish(op.id, { status: "Success" });
  assertEquals((await waiting).status, "Success");
  assert(daemon.eventStreamsOpened >= 2, "reconnected after the silence");
});

Deno.test("wait: a final event lost on a live connection is caught by the resync sweep", async () => {
  // As LXD 5.0 under load: the connection stays up, the final event never
  // comes, and the daemon forgets the finished operation soon after.
  await using t = await fake({ retentionMs: 400, client: { events: { resyncMs: 100 } } });
  const { daemon, client } = t;
  const ops = Array.from({ length: 20 }, () => daemon.createOperation());
  const waiting = Promise.all(ops.map((op) => client.operations.wait(op.id, { timeout: 5_000 })));
  // Every waiter has read its operation (one batched list).
  await until(() => daemon.eventStreams === 1 && operationReads(daemon) >= 1);
  daemon.eventsMode = "silent";
  const before = daemon.requests.length;
  for (const op of ops) daemon.finish(op.id, { status: "Success" });
  const finals = await waiting;
  assertEquals(finals.map((op) => op.status), ops.map(() => "Success"));
  // The waiters were told together: a few batched lists, not one GET each.
  const reads = daemon.requests.slice(before).filter((r) => r.method === "GET");
  assert(reads.length <= 4, `${reads.length} reads: ${reads.map((r) => r.path).join(", ")}`);
  assertEquals(daemon.eventStreamsOpened, 1, "the live connection was kept");
});

Deno.test("wait: without the sweep, the same lost event would be a not-found (the daemon forgot it)", async () => {
  // The control case: resyncMs longer than the daemon's memory of the operation.
  await using t = await fake({
    retentionMs: 100,
    client: { events: { resyncMs: 600, silenceMs: 60_000 } },
  });
  const { daemon, client } = t;
  const op = daemon.createOperation();
  const waiting = client.operations.wait(op.id, { timeout: 5_000 });
  await until(() => daemon.eventStreams === 1 && operationReads(daemon) >= 1);
  daemon.eventsMode = "silent";
  daemon.finish(op.id, { status: "Success" });
  await assertRejects(() => waiting, OperationNotFoundError, "finished");
});

Deno.test("wait: the events socket closes shortly after the last waiter; close() mid-wait rejects", async () => {
  await using t = await fake();
  const { daemon } = t;
  const client = connect({ socket: daemon.path, events: { idleMs: 20 } });
  const op = daemon.createOperation({ durationMs: 10 });
  await client.operations.wait(op.id);
  await until(() => daemon.eventStreams === 0);
  const running = daemon.createOperation();
  const waiting = client.operations.wait(running.id);
  await until(() => daemon.eventStreams === 1);
  const outcome = waiting.catch((error) => error);
  await client.close();
  const error = await outcome;
  assert(error instanceof ConnectionError && error.message.includes("closed"), String(error));
  await until(() => daemon.eventStreams === 0);
});

Deno.test("wait: timeout and signal bound an event wait; the op keeps running", async () => {
  const clock = new ManualClock();
  await using t = await fake({ client: onClock(clock) });
  const { daemon, client } = t;
  const op = daemon.createOperation();
  const timedOut = await clock.run(client.operations.wait(op.id, { timeout: 50 }));
  assertEquals([timedOut.at, (timedOut.error as DOMException).name], [50, "TimeoutError"]);
  const controller = new AbortController();
  const reason = new Error("stop");
  const waiting = client.operations.wait(op.id, { signal: controller.signal });
  setTimeout(() => controller.abort(reason), 20);
  assertEquals(await waiting.catch((e) => e), reason);
  assertEquals(daemon.operation(op.id)?.status, "Running");
});

Deno.test("wait: onProgress gets parsed progress, with events and without", async () => {
  for (const events of [true, false]) {
    await using t = await fake({ client: { events } });
    const { daemon, client } = t;
    const op = daemon.createOperation();
    const seen: Progress[] = [];
    const waiting = client.operations.wait(op.id, { onProgress: (p) => seen.push(p) });
    // The wait is under way: subscribed and caught up, or long-polling.
    await until(() =>
      events
        ? daemon.eventStreams === 1 && operationReads(daemon) >= 1
        : daemon.requests.some((request) => request.path.includes(op.id))
    );
    daemon.update(op.id, { progress: { stage: "unpack", percent: "40", speed: "1000" } });
    await until(() => seen.length >= 1);
    daemon.update(op.id, { download_progress: "rootfs: 80% (2.00MB/s)", progress: null });
    await until(() => seen.length >= 2);
    daemon.finish(op.id, { status: "Success" });
    await waiting;
    assertEquals(seen[0].stage, "unpack");
    assertEquals([seen[0].percent, seen[0].speed], [40, 1000]);
    assertEquals([seen[1].stage, seen[1].percent, seen[1].speed], ["rootfs", 80, 2_000_000]);
  }
});

Deno.test("watch: every state until final, progress included; unknown ids throw", async () => {
  for (const events of [true, false]) {
    await using t = await fake({ client: { events } });
    const { daemon, client } = t;
    const op = daemon.createOperation();
    const states: string[] = [];
    const watching = (async () => {
      for await (
        const state of client.operations.watch(op.id, { pollMs: 10 })
      ) {
        states.push(`${state.status}:${(state.metadata as { step?: number }).step ?? "-"}`);
        if (state.status === "Running" && states.length === 1) {
          daemon.update(op.id, { step: 1 });
        } else if (states.length === 2) daemon.finish(op.id, { status: "Success" });
      }
    })();
    await watching;
    assertEquals(states, ["Running:-", "Running:1", "Success:1"]);
    await assertRejects(async () => {
      for await (const _ of client.operations.watch(crypto.randomUUID())) break;
    }, OperationNotFoundError);
  }
});

Deno.test("waitAll / waitAny: order, first failure stops the rest, concurrency, bad ids", async () => {
  const clock = new ManualClock();
  await using t = await fake({ client: onClock(clock) });
  const { daemon, client } = t;
  const ops = [30, 10, 20].map((ms) => daemon.createOperation({ durationMs: ms }));
  const all = await client.operations.waitAll(ops.map((op) => op.id), { concurrency: 2 });
  assertEquals(all.map((op) => op.id), ops.map((op) => op.id));
  const slow = daemon.createOperation();
  const failing = daemon.createOperation({ durationMs: 10, outcome: "Failure", err: "nope" });
  await assertRejects(
    () => client.operations.waitAll([slow.id, failing.id]),
    OperationFailedError,
    "nope",
  );
  const fast = daemon.createOperation({ durationMs: 10 });
  const first = await client.operations.waitAny([slow.id, fast.id], {}, (op) => op.id);
  assertEquals(first, fast.id);
  const timedOut = await clock.run(client.operations.waitAll([slow.id], { timeout: 30 }));
  assertEquals([timedOut.at, (timedOut.error as DOMException).name], [30, "TimeoutError"]);
  const before = daemon.requests.length;
  await assertRejects(() => client.operations.waitAll([slow.id, "../x"]), InvalidArgumentError);
  await assertRejects(() => client.operations.waitAny([]), InvalidArgumentError);
  await assertRejects(
    () => client.operations.waitAll([slow.id], { concurrency: 0 }),
    InvalidArgumentError,
  );
  assertEquals(daemon.requests.length, before);
  await until(() => daemon.eventStreams <= 1);
});

Deno.test("wait: the client answers the server's pings, so a quiet wait keeps its connection", async () => {
  await using t = await fake();
  const { daemon, client } = t;
  daemon.eventsPingSeconds = 1; // ping after 1 s of silence; drop if no pong
  const op = daemon.createOperation({ durationMs: 2_500 });
  assertEquals((await client.operations.wait(op.id, { timeout: 10_000 })).status, "Success");
  assertEquals(daemon.eventStreamsOpened, 1, "never dropped for a missing pong");
});
