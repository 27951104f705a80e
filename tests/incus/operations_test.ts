import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import {
  connect,
  IncusOpsError,
  InvalidArgumentError,
  NotCancellableError,
  OperationCancelledError,
  OperationFailedError,
  OperationNotFoundError,
  OperationTimeoutError,
  StatusCode,
} from "../../mod.ts";
import type { Operation } from "../../mod.ts";
import type { Clock } from "../../src/core/deadlines.ts";
import { ManualClock, onClock } from "../_clock.ts";
import type { WaitFlavor } from "../../src/testing/mod.ts";
import { fake, requestsTo, until } from "../_fake.ts";

const FLAVORS: WaitFlavor[] = ["incus", "lxd"];
const MISSING = "00000000-0000-4000-8000-000000000000";

/** A fake daemon and a client; `events: false` makes waits use `/wait` slices only. */
function setup(flavor: WaitFlavor = "incus", retentionMs?: number, events = true, clock?: Clock) {
  return fake({ flavor, retentionMs, client: { waitSliceMs: 1_000, events, ...onClock(clock) } });
}

Deno.test("list: flattened, oldest first, recursion 0 gives ids", async () => {
  await using t = await setup();
  const a = t.daemon.createOperation({ description: "first" });
  const b = t.daemon.createOperation({ description: "second" });
  t.daemon.finish(a.id, { status: "Success" });
  const ops = await t.client.operations.list();
  assertEquals(ops.map((op) => op.id), [a.id, b.id]);
  assertEquals(ops[0].status, "Success");
  assertEquals(ops[1].status_code, StatusCode.Running);
  const ids = await t.client.operations.list({ recursion: 0 });
  assertEquals(ids.toSorted(), [a.id, b.id].toSorted());
  // (The client also reads /1.0 once, to know whether a cluster could be partial.)
  const lists = t.daemon.requests.filter((request) => request.path === "/1.0/operations");
  assertEquals(lists.at(-1)?.search, "?recursion=0");
});

Deno.test("list: empty server gives []", async () => {
  await using t = await setup();
  assertEquals(await t.client.operations.list(), []);
  assertEquals(await t.client.operations.list({ recursion: 0 }), []);
});

Deno.test("list: a mutator's result is what the call resolves with, sync or async", async () => {
  await using t = await setup();
  t.daemon.createOperation();
  t.daemon.createOperation();
  assertEquals(await t.client.operations.list({}, (ops) => ops.length), 2);
  assertEquals(
    await t.client.operations.list({ recursion: 0 }, async (ids) => {
      await Promise.resolve();
      return ids.map((id) => id.length);
    }),
    [36, 36],
  );
});

Deno.test("mutator errors reject the call with that error", async () => {
  await using t = await setup();
  const op = t.daemon.createOperation();
  const boom = new RangeError("boom");
  const error = await assertRejects(() =>
    t.client.operations.get(op.id, {}, () => {
      throw boom;
    })
  );
  assertEquals(error, boom);
  const rejected = await assertRejects(() =>
    t.client.operations.list({}, () => Promise.reject(boom))
  );
  assertEquals(rejected, boom);
  const finished = t.daemon.createOperation({ durationMs: 10 });
  const late = async () => {
    await Promise.resolve();
    throw boom;
  };
  assertEquals(await t.client.operations.wait(finished.id, {}, late).catch((e) => e), boom);
  assertEquals(await t.client.query("/1.0", {}, late).catch((e) => e), boom);
});

Deno.test("listByStatus: every status key present, grouped", async () => {
  await using t = await setup();
  const a = t.daemon.createOperation();
  const b = t.daemon.createOperation({ mayCancel: true });
  t.daemon.createOperation();
  t.daemon.finish(a.id, { status: "Failure", err: "nope" });
  t.daemon.finish(b.id, { status: "Cancelled" });
  const groups = await t.client.operations.listByStatus();
  assertEquals(groups.running.length, 1);
  assertEquals(groups.failure.map((op) => op.id), [a.id]);
  assertEquals(groups.cancelled.map((op) => op.id), [b.id]);
  assertEquals(groups.success, []);
  assertEquals(groups.pending, []);
  assertEquals(await t.client.operations.listByStatus({}, (g) => g.running.length), 1);
});

for (const flavor of FLAVORS) {
  Deno.test(`project and allProjects scope lists and calls (${flavor})`, async () => {
    await using t = await setup(flavor);
    const inDefault = t.daemon.createOperation();
    const inP2 = t.daemon.createOperation({ project: "p2" });
    assertEquals((await t.client.operations.list()).map((op) => op.id), [inDefault.id]);
    assertEquals(
      (await t.client.operations.list({ project: "p2" })).map((op) => op.id),
      [inP2.id],
    );
    const before = t.daemon.requests.length;
    assertEquals((await t.client.operations.list({ allProjects: true })).length, 2);
    const asked = t.daemon.requests.slice(before).map((r) => r.path + r.search);
    // One operation is served whatever the project asked, as by the daemons
    // (tests/integration/operations_test.ts).
    assertEquals((await t.client.operations.get(inP2.id)).id, inP2.id);
    assertEquals((await t.client.operations.get(inP2.id, { project: "p2" })).id, inP2.id);
    const cancellable = t.daemon.createOperation({ project: "p2", mayCancel: true });
    await t.client.operations.cancel(cancellable.id, { project: "absent" });
    assertEquals(t.daemon.operation(cancellable.id)?.status, "Cancelled");
    await using scoped = connect({ socket: t.daemon.path, project: "p2" });
    assertEquals((await scoped.operations.get(inP2.id)).id, inP2.id);
    assertEquals(t.daemon.requests.at(-1)?.search, "?project=p2");
    // LXD 5.0 ignores all-projects: the client asks each project instead.
    assertEquals(
      asked.filter((request) => request.startsWith("/1.0/operations")).toSorted(),
      flavor === "incus" ? ["/1.0/operations?recursion=1&all-projects=true"] : [
        "/1.0/operations?recursion=1&project=default",
        "/1.0/operations?recursion=1&project=p2",
      ],
    );
  });
}

Deno.test("project names are encoded, never spliced into the query", async () => {
  await using t = await setup();
  await t.client.operations.list({ project: "a&all-projects=true/x" });
  assertEquals(
    t.daemon.requests.findLast((request) => request.path === "/1.0/operations")?.search,
    "?recursion=1&project=a%26all-projects%3Dtrue%2Fx",
  );
  await assertRejects(
    () => t.client.operations.get(MISSING, { project: "p&q=1" }),
    OperationNotFoundError,
  );
  assertEquals(t.daemon.requests.at(-1)?.search, "?project=p%26q%3D1");
});

Deno.test("get: the operation, or OperationNotFoundError with a hint", async () => {
  await using t = await setup();
  const op = t.daemon.createOperation({ metadata: { x: 1 } });
  const got = await t.client.operations.get(op.id);
  assertEquals(got, op);
  assertEquals(await t.client.operations.get(`/1.0/operations/${op.id}`, {}, (o) => o.id), op.id);
  const error = await assertRejects(
    () => t.client.operations.get(MISSING),
    OperationNotFoundError,
  );
  assertEquals(error.status, 404);
  assertEquals(error.id, MISSING);
  assertEquals(error.path, `/1.0/operations/${MISSING}`);
  assertStringIncludes(error.message, "about 5 s");
});

for (const flavor of FLAVORS) {
  Deno.test(`wait (${flavor}): resolves with the final operation on Success`, async () => {
    await using t = await setup(flavor);
    const op = t.daemon.createOperation({ durationMs: 30 });
    const final = await t.client.operations.wait(op.id);
    assertEquals(final.status, "Success");
    assertEquals(final.id, op.id);
    assertEquals(await t.client.operations.wait(op.id, {}, (o) => o.status_code), 200);
  });

  Deno.test(`wait (${flavor}): Failure rejects OperationFailedError with err`, async () => {
    await using t = await setup(flavor);
    const op = t.daemon.createOperation({ durationMs: 20, outcome: "Failure", err: "Boom" });
    const error = await assertRejects(
      () => t.client.operations.wait(op.id),
      OperationFailedError,
    );
    assertEquals(error.err, "Boom");
    assertEquals(error.id, op.id);
    assertEquals(error.operation?.status, "Failure");
    assertStringIncludes(error.message, "Boom");
  });

  Deno.test(`wait (${flavor}): Cancelled rejects OperationCancelledError`, async () => {
    await using t = await setup(flavor);
    const op = t.daemon.createOperation({ mayCancel: true });
    const waiting = t.client.operations.wait(op.id);
    await t.client.operations.cancel(op.id);
    const error = await assertRejects(() => waiting, OperationCancelledError);
    assertEquals(error.operation?.status, "Cancelled");
  });

  Deno.test(`wait (${flavor}): slices that run out mean "still running"`, async () => {
    await using t = await setup(flavor, undefined, false);
    const op = t.daemon.createOperation({ durationMs: 2_300 });
    const final = await t.client.operations.wait(op.id);
    assertEquals(final.status, "Success");
    const waits = t.daemon.requests.filter((r) => r.path.endsWith("/wait"));
    assert(waits.length >= 2, `expected several /wait slices, saw ${waits.length}`);
  });

  for (const events of [true, false]) {
    Deno.test(`wait (${flavor}, events ${events}): timeout rejects OperationTimeoutError with the last state; the op keeps running`, async () => {
      const clock = new ManualClock();
      await using t = await setup(flavor, undefined, events, clock);
      const op = t.daemon.createOperation();
      const ended = await clock.run(t.client.operations.wait(op.id, { timeout: 150 }));
      assertEquals(ended.at, 150);
      const error = ended.error as OperationTimeoutError;
      assertInstanceOf(error, OperationTimeoutError);
      assertEquals(error.name, "TimeoutError");
      assertInstanceOf(error, IncusOpsError);
      assertEquals(error.id, op.id);
      assertEquals(error.timeout, 150);
      assertEquals(error.status, 0);
      assertEquals((error.operation as Operation | undefined)?.status, "Running");
      assertStringIncludes(error.message, op.id);
      assertEquals(t.daemon.operation(op.id)?.status, "Running");
    });
  }
}

Deno.test("wait: the signal's reason rejects the wait, promptly", async () => {
  for (const events of [true, false]) {
    await using t = await setup("incus", undefined, events);
    const op = t.daemon.createOperation();
    // Without events, a /wait long-poll the daemon holds until the end of the test:
    // the wait must not sit out the request in flight.
    const release = Promise.withResolvers<void>();
    t.daemon.interceptor = async (_request, url) => {
      if (!url.pathname.endsWith("/wait")) return undefined;
      await release.promise;
      return new Response("late");
    };
    const controller = new AbortController();
    const reason = new Error("stop waiting");
    const waiting = t.client.operations.wait(op.id, { signal: controller.signal });
    await until(() => events ? t.daemon.eventStreams === 1 : requestsTo(t.daemon, "/wait") === 1);
    controller.abort(reason);
    try {
      assertEquals(await waiting.catch((error) => error), reason);
    } finally {
      release.resolve();
    }
    assertEquals(t.daemon.operation(op.id)?.status, "Running");
  }
});

Deno.test("an already aborted signal rejects at once and sends nothing", async () => {
  await using t = await setup();
  const op = t.daemon.createOperation();
  const signal = AbortSignal.abort(new Error("already"));
  for (
    const call of [
      () => t.client.operations.wait(op.id, { signal }),
      () => t.client.operations.get(op.id, { signal }),
      () => t.client.operations.list({ signal }),
      () => t.client.operations.cancel(op.id, { signal }),
      () => t.client.query("/1.0", { signal }),
      () => t.client.operations.waitAll([op.id], { signal }),
      () => t.client.exec("c1", ["true"], { signal }),
      async () => {
        for await (const _ of t.client.operations.watch(op.id, { signal })) break;
      },
    ]
  ) {
    const error = await assertRejects(call);
    assertEquals((error as Error).message, "already");
  }
  assertEquals(t.daemon.requests.length, 0);
});

Deno.test("wait: an op finished moments ago resolves; long gone is OperationNotFoundError", async () => {
  await using t = await setup("incus", 300);
  const recent = t.daemon.createOperation();
  const old = t.daemon.createOperation();
  t.daemon.finish(recent.id, { status: "Success" });
  t.daemon.finish(old.id, { status: "Success" });
  assertEquals((await t.client.operations.wait(recent.id)).status, "Success");
  await until(() => t.daemon.operation(old.id) === undefined); // the daemon forgot it
  const error = await assertRejects(
    () => t.client.operations.wait(old.id),
    OperationNotFoundError,
  );
  assertStringIncludes(error.message, "finished");
});

Deno.test("wait: Incus failure answer for an op already gone still reports the failure", async () => {
  await using t = await setup("incus", undefined, false);
  const op = t.daemon.createOperation();
  // The /wait answer carries the op's err; the op is gone by the follow-up GET.
  t.daemon.interceptor = (_request, url) => {
    if (url.pathname.endsWith("/wait")) {
      return Response.json(
        { type: "error", error: "Command not found", error_code: 400, metadata: null },
        { status: 400 },
      );
    }
    return Response.json(
      { type: "error", error: "Operation not found", error_code: 404, metadata: null },
      { status: 404 },
    );
  };
  const error = await assertRejects(() => t.client.operations.wait(op.id), OperationFailedError);
  assertEquals(error.err, "Command not found");
  assertEquals(error.status, 400);
  assertEquals(error.operation, undefined);
});

Deno.test("wait: bad timeouts are refused before anything is sent", async () => {
  await using t = await setup();
  const op = t.daemon.createOperation();
  for (const timeout of [-1, NaN, Infinity, -Infinity, "5" as unknown as number]) {
    await assertRejects(
      () => t.client.operations.wait(op.id, { timeout }),
      InvalidArgumentError,
      "invalid timeout",
    );
    await assertRejects(
      () => t.client.operations.waitAll([op.id], { timeout }),
      InvalidArgumentError,
    );
    await assertRejects(() => t.client.query("/1.0", { timeout }), InvalidArgumentError);
    assertThrows(
      () => connect({ socket: t.daemon.path, requestTimeout: timeout }),
      InvalidArgumentError,
    );
  }
  assertEquals(t.daemon.requests.length, 0);
});

Deno.test("wait: a huge timeout is clamped, not overflowed", async () => {
  await using t = await setup();
  const op = t.daemon.createOperation({ durationMs: 10 });
  assertEquals((await t.client.operations.wait(op.id, { timeout: 1e15 })).status, "Success");
});

Deno.test("cancel: running cancellable op ends Cancelled", async () => {
  await using t = await setup();
  const op = t.daemon.createOperation({ mayCancel: true });
  assertEquals(await t.client.operations.cancel(op.id), undefined);
  assertEquals(t.daemon.operation(op.id)?.status, "Cancelled");
  const other = t.daemon.createOperation({ mayCancel: true });
  assertEquals(await t.client.operations.delete(other.id, {}, () => "gone"), "gone");
  assertEquals(t.daemon.operation(other.id)?.status, "Cancelled");
});

Deno.test("cancel: not cancellable → NotCancellableError; unknown → OperationNotFoundError", async () => {
  await using t = await setup();
  const op = t.daemon.createOperation({ mayCancel: false });
  const error = await assertRejects(
    () => t.client.operations.cancel(op.id),
    NotCancellableError,
  );
  assertEquals(error.status, 400);
  assertEquals(error.method, "DELETE");
  assertStringIncludes(error.message, "can't be cancelled");
  await assertRejects(() => t.client.operations.delete(op.id), NotCancellableError);
  await assertRejects(() => t.client.operations.cancel(MISSING), OperationNotFoundError);
  assertEquals(t.daemon.operation(op.id)?.status, "Running");
});

Deno.test("errors carry the server's status, text, method and path", async () => {
  await using t = await setup();
  const op = t.daemon.createOperation({ mayCancel: false });
  const error = await assertRejects(() => t.client.operations.cancel(op.id), NotCancellableError);
  assertInstanceOf(error, Error);
  assertEquals(
    [error.status, error.method, error.path],
    [400, "DELETE", `/1.0/operations/${op.id}`],
  );
});

Deno.test("wait: a /wait slice the daemon never answers is retried, not fatal", async () => {
  await using t = await setup("incus", undefined, false);
  const op = t.daemon.createOperation({ durationMs: 2_500 });
  const stalled = Promise.withResolvers<void>();
  let first = true;
  t.daemon.interceptor = async (_request, url) => {
    if (url.pathname.endsWith("/wait") && first) {
      first = false;
      await stalled.promise;
      return new Response("late");
    }
    return undefined;
  };
  try {
    assertEquals((await t.client.operations.wait(op.id)).status, "Success");
    assert(!first, "the first slice was swallowed by the daemon");
  } finally {
    stalled.resolve();
  }
});

Deno.test("wait: the caller's deadline wins over a daemon that never answers", async () => {
  // With events (a silent events connection) and with /wait long-polls only.
  for (const events of [true, false]) {
    const clock = new ManualClock();
    await using t = await setup("incus", undefined, events, clock);
    const op = t.daemon.createOperation();
    t.daemon.eventsMode = "silent";
    const stalled = Promise.withResolvers<void>();
    t.daemon.interceptor = async (_request, url) => {
      if (url.pathname.endsWith("/events")) return undefined;
      await stalled.promise;
      return new Response("late");
    };
    try {
      const ended = await clock.run(t.client.operations.wait(op.id, { timeout: 300 }));
      assertEquals(ended.at, 300);
      const error = ended.error as OperationTimeoutError;
      assertInstanceOf(error, OperationTimeoutError);
      assertEquals(error.name, "TimeoutError");
      assertEquals(error.id, op.id);
    } finally {
      stalled.resolve();
    }
  }
});
