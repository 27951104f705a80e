/**
 * Waiting semantics on the fake daemon: what errors report (HTTP status,
 * operation status code, the request actually sent), operation objects as
 * references, waitAny / waitRace / waitAllSettled, cancelOnAbort, and every
 * state reported without events.
 */

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import {
  type ConnectOptions,
  NotCancellableError,
  type Operation,
  OperationCancelledError,
  OperationFailedError,
  OperationTimeoutError,
  type Progress,
} from "../../mod.ts";
import type { FakeDaemon, WaitFlavor } from "../../src/testing/mod.ts";
import { fake, until } from "../_fake.ts";
import { ManualClock, onClock } from "../_clock.ts";

/** A fake daemon and a client on it. */
function setup(flavor: WaitFlavor = "incus", options: Partial<ConnectOptions> = {}) {
  return fake({ flavor, client: { waitSliceMs: 1_000, ...options } });
}

/** Events that never resync on their own: the final state comes from an event. */
const QUIET_EVENTS = { settleMs: 60_000, resyncMs: 60_000 };

const gets = (daemon: FakeDaemon, id: string) =>
  daemon.requests.filter((r) => r.method === "GET" && r.path === `/1.0/operations/${id}`).length;

Deno.test("errors: a failure seen on the events socket names GET /1.0/events, status 0, code 400", async () => {
  await using t = await setup("incus", { events: QUIET_EVENTS });
  const op = t.daemon.createOperation();
  const waiting = t.client.operations.wait(op.id).catch((e) => e);
  await until(() => gets(t.daemon, op.id) === 1 && t.daemon.eventStreams === 1);
  t.daemon.finish(op.id, { status: "Failure", err: "boom" });
  const error = await waiting;
  assertInstanceOf(error, OperationFailedError);
  assertEquals([error.method, error.path, error.status], ["GET", "/1.0/events", 0]);
  assertEquals(error.operationStatusCode, 400);
  assertEquals(error.err, "boom");
  assert(!t.daemon.requests.some((r) => r.path.endsWith("/wait")), "no /wait was sent");
});

Deno.test("errors: Cancelled over /wait (lxd) is status 200 of that /wait, code 401", async () => {
  await using t = await setup("lxd", { events: false });
  const op = t.daemon.createOperation({ mayCancel: true });
  const waiting = t.client.operations.wait(op.id).catch((e) => e);
  await until(() => t.daemon.requests.some((r) => r.path.endsWith("/wait")));
  await t.client.operations.cancel(op.id);
  const error = await waiting;
  assertInstanceOf(error, OperationCancelledError);
  assertEquals([error.method, error.path, error.status], [
    "GET",
    `/1.0/operations/${op.id}/wait`,
    200,
  ]);
  assertEquals(error.operationStatusCode, 401);
});

Deno.test("errors: an Incus failed /wait is read back; the GET that read it is reported", async () => {
  await using t = await setup("incus", { events: false });
  const op = t.daemon.createOperation({ durationMs: 20, outcome: "Failure", err: "boom" });
  const error = await assertRejects(() => t.client.operations.wait(op.id), OperationFailedError);
  assertEquals([error.method, error.path, error.status], ["GET", `/1.0/operations/${op.id}`, 200]);
  assertEquals(error.operationStatusCode, 400);
  assertEquals((error.operation as Operation).status, "Failure");
});

Deno.test("operation objects are accepted wherever an id is, with their project", async () => {
  await using t = await setup();
  const op = t.daemon.createOperation({ mayCancel: true, project: "p1" });
  assertEquals((await t.client.operations.get(op)).id, op.id);
  assertEquals((await t.client.operations.get({ id: op.id, project: "p1" })).id, op.id);
  const request = t.daemon.requests.findLast((r) => r.path === `/1.0/operations/${op.id}`);
  assertEquals(request?.search, "?project=p1");
  // A bare id carries no project (the daemons serve it whatever the project).
  await t.client.operations.get(op.id);
  assertEquals(t.daemon.requests.at(-1)?.search.includes("p1"), false);
  const states: string[] = [];
  const watching = (async () => {
    for await (const state of t.client.operations.watch(op)) states.push(state.status);
  })();
  await until(() => states.length === 1);
  await t.client.operations.cancel(op);
  await watching;
  assertEquals(states, ["Running", "Cancelled"]);
  await assertRejects(() => t.client.operations.wait(op), OperationCancelledError);
  const done = t.daemon.createOperation({ durationMs: 5 });
  const both = await t.client.operations.waitAll([done, `/1.0/operations/${done.id}`]);
  assertEquals(both.map((o) => o.id), [done.id, done.id]);
  await t.client.operations.delete({ id: t.daemon.createOperation({ mayCancel: true }).id });
});

Deno.test("waitAny: the first success, past earlier failures; AggregateError when none succeeds", async () => {
  await using t = await setup();
  const failing = t.daemon.createOperation({ durationMs: 5, outcome: "Failure", err: "first" });
  const ok = t.daemon.createOperation();
  const waiting = t.client.operations.waitAny([failing, ok]);
  await until(() => t.daemon.operation(failing.id)?.status === "Failure");
  t.daemon.finish(ok.id, { status: "Success" });
  assertEquals((await waiting).id, ok.id);
  const a = t.daemon.createOperation({ durationMs: 5, outcome: "Failure", err: "a" });
  const b = t.daemon.createOperation({ mayCancel: true });
  const none = t.client.operations.waitAny([a, b]).catch((e) => e);
  await until(() => t.daemon.operation(a.id)?.status === "Failure");
  await t.client.operations.cancel(b);
  const error = await none;
  assertInstanceOf(error, AggregateError);
  assertInstanceOf(error.errors[0], OperationFailedError);
  assertInstanceOf(error.errors[1], OperationCancelledError);
  assertStringIncludes(error.message, "none of the 2 operations succeeded");
});

Deno.test("waitRace: the first to finish decides, failure included", async () => {
  await using t = await setup();
  const failing = t.daemon.createOperation({ durationMs: 5, outcome: "Failure", err: "boom" });
  const slow = t.daemon.createOperation();
  await assertRejects(() => t.client.operations.waitRace([slow, failing]), OperationFailedError);
  assertEquals(t.daemon.operation(slow.id)?.status, "Running");
  const fast = t.daemon.createOperation({ durationMs: 5 });
  assertEquals((await t.client.operations.waitRace([slow, fast])).id, fast.id);
});

Deno.test("waitAllSettled: every outcome in order, timeouts included; the signal rejects", async () => {
  const clock = new ManualClock();
  await using t = await setup("incus", onClock(clock));
  const ok = t.daemon.createOperation();
  const bad = t.daemon.createOperation();
  t.daemon.finish(ok.id, { status: "Success" });
  t.daemon.finish(bad.id, { status: "Failure", err: "boom" });
  const slow = t.daemon.createOperation();
  const settling = t.client.operations.waitAllSettled([ok, bad, slow], { timeout: 1_000 });
  const { at, value: outcomes = [] } = await clock.run(settling, 100);
  assertEquals(at, 1_000);
  assertEquals(outcomes.map((o) => o.status), ["fulfilled", "rejected", "rejected"]);
  const [, failed, timedOut] = outcomes as PromiseRejectedResult[];
  assertInstanceOf(failed.reason, OperationFailedError);
  assertInstanceOf(timedOut.reason, OperationTimeoutError);
  assertEquals(timedOut.reason.id, slow.id);
  assertEquals(t.daemon.operation(slow.id)?.status, "Running");
  const controller = new AbortController();
  const reason = new Error("stop");
  const waiting = t.client.operations.waitAllSettled([slow], { signal: controller.signal });
  controller.abort(reason);
  assertEquals(await waiting.catch((e) => e), reason);
});

Deno.test("waitAll: a timeout rejects OperationTimeoutError for an operation still running", async () => {
  const clock = new ManualClock();
  await using t = await setup("incus", onClock(clock));
  const done = t.daemon.createOperation();
  t.daemon.finish(done.id, { status: "Success" });
  const slow = t.daemon.createOperation();
  const waiting = t.client.operations.waitAll([done, slow], { timeout: 500, concurrency: 1 });
  const ended = await clock.run(waiting, 50);
  assertEquals(ended.at, 500);
  const error = ended.error as OperationTimeoutError;
  assertInstanceOf(error, OperationTimeoutError);
  assertEquals(error.id, slow.id);
  assertEquals(error.name, "TimeoutError");
});

for (const events of [true, false]) {
  Deno.test(`cancelOnAbort (events ${events}): a timeout or an abort cancels the operation`, async () => {
    const clock = new ManualClock();
    await using t = await setup("incus", { events, ...onClock(clock) });
    const op = t.daemon.createOperation({ mayCancel: true });
    const ended = await clock.run(
      t.client.operations.wait(op, { timeout: 100, cancelOnAbort: true }),
    );
    const error = ended.error as OperationTimeoutError;
    assertInstanceOf(error, OperationTimeoutError);
    assertEquals(error.cause, undefined);
    assertEquals(t.daemon.operation(op.id)?.status, "Cancelled");
    const other = t.daemon.createOperation({ mayCancel: true });
    const controller = new AbortController();
    const reason = new Error("user gave up");
    const waiting = t.client.operations.wait(other, {
      signal: controller.signal,
      cancelOnAbort: true,
    }).catch((e) => e);
    controller.abort(reason);
    assertEquals(await waiting, reason);
    assertEquals(t.daemon.operation(other.id)?.status, "Cancelled");
  });
}

Deno.test("cancelOnAbort: off by default; a refused cancel is the error's cause", async () => {
  const clock = new ManualClock();
  await using t = await setup("incus", onClock(clock));
  const op = t.daemon.createOperation({ mayCancel: true });
  const first = await clock.run(t.client.operations.wait(op, { timeout: 50 }));
  assertInstanceOf(first.error, OperationTimeoutError);
  assertEquals(t.daemon.operation(op.id)?.status, "Running");
  const fixed = t.daemon.createOperation({ mayCancel: false });
  const ended = await clock.run(
    t.client.operations.wait(fixed, { timeout: 50, cancelOnAbort: true }),
  );
  const error = ended.error as OperationTimeoutError;
  assertInstanceOf(error, OperationTimeoutError);
  assertInstanceOf(error.cause, NotCancellableError);
  const controller = new AbortController();
  const waiting = t.client.operations.wait(fixed, {
    signal: controller.signal,
    cancelOnAbort: true,
  }).catch((e) => e);
  const reason = new Error("stop");
  controller.abort(reason);
  const rejected = await waiting;
  assertEquals(rejected, reason);
  assertInstanceOf(reason.cause, NotCancellableError);
});

Deno.test("cancelOnAbort in waitAll: the timeout cancels every one still running, a failure none", async () => {
  const clock = new ManualClock();
  await using t = await setup("incus", onClock(clock));
  const ops = [
    t.daemon.createOperation({ mayCancel: true }),
    t.daemon.createOperation({ mayCancel: true }),
  ];
  const ended = await clock.run(
    t.client.operations.waitAll(ops, { timeout: 100, cancelOnAbort: true }),
  );
  assertInstanceOf(ended.error, OperationTimeoutError);
  await until(() => ops.every((op) => t.daemon.operation(op.id)?.status === "Cancelled"));
  const running = t.daemon.createOperation({ mayCancel: true });
  const failing = t.daemon.createOperation({ durationMs: 5, outcome: "Failure", err: "boom" });
  await assertRejects(
    () => t.client.operations.waitAll([running, failing], { cancelOnAbort: true }),
    OperationFailedError,
  );
  assertEquals(t.daemon.operation(running.id)?.status, "Running");
});

/** Events off, or refused by the daemon (the automatic fallback). */
const POLLING: [string, Partial<ConnectOptions>, boolean][] = [
  ["events: false", { events: false }, false],
  ["events refused", {}, true],
];

for (const [name, options, refuse] of POLLING) {
  for (const flavor of ["incus", "lxd"] as WaitFlavor[]) {
    Deno.test(`progress without events (${name}, ${flavor}): onProgress sees every state`, async () => {
      await using t = await setup(flavor, options);
      if (refuse) t.daemon.eventsMode = "refuse";
      const op = t.daemon.createOperation();
      const seen: Progress[] = [];
      const waiting = t.client.operations.wait(op, { onProgress: (p) => seen.push(p), pollMs: 10 });
      for (const [percent, count] of [["25", 1], ["50", 2], ["75", 3]] as const) {
        t.daemon.update(op.id, { progress: { stage: "copy", percent } });
        await until(() => seen.length === count);
      }
      t.daemon.finish(op.id, { status: "Success" });
      assertEquals((await waiting).status, "Success");
      assertEquals(seen.map((p) => p.percent), [25, 50, 75]);
      assert(!t.daemon.requests.some((r) => r.path.endsWith("/wait")), "reads, not /wait slices");
    });
  }

  Deno.test(`watch without events (${name}): all 7 states`, async () => {
    await using t = await setup("incus", options);
    if (refuse) t.daemon.eventsMode = "refuse";
    const op = t.daemon.createOperation();
    const states: string[] = [];
    const watching = (async () => {
      for await (const state of t.client.operations.watch(op, { pollMs: 10 })) {
        states.push(`${state.status}:${(state.metadata as { step?: number }).step ?? "-"}`);
      }
    })();
    await until(() => states.length === 1);
    for (let step = 1; step <= 5; step++) {
      t.daemon.update(op.id, { step });
      await until(() => states.length === step + 1);
    }
    t.daemon.finish(op.id, { status: "Success" });
    await watching;
    assertEquals(states, [
      "Running:-",
      "Running:1",
      "Running:2",
      "Running:3",
      "Running:4",
      "Running:5",
      "Success:5",
    ]);
  });
}
