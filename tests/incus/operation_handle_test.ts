/** OperationHandle, client.operations.handle() and client.startOperation(), on the fake daemon. */

import { assert, assertEquals, assertInstanceOf, assertRejects, assertThrows } from "@std/assert";
import {
  connect,
  ConnectionError,
  InvalidArgumentError,
  NotCancellableError,
  type Operation,
  OperationCancelledError,
  OperationFailedError,
  OperationHandle,
  OperationNotFoundError,
  OperationTimeoutError,
  SyncAnswerError,
} from "../../mod.ts";
import { FakeDaemon } from "../../src/testing/mod.ts";
import { ManualClock, onClock } from "../_clock.ts";

Deno.test("handle(id): refresh, then wait updates the last known state", async () => {
  await using daemon = await FakeDaemon.start();
  await using client = connect({ socket: daemon.path });
  const op = daemon.createOperation();
  const handle = client.operations.handle(op.id);
  assertInstanceOf(handle, OperationHandle);
  assertEquals([handle.id, handle.operation, handle.project], [op.id, undefined, undefined]);
  assertEquals(daemon.requests.length, 0, "nothing is sent until a call");

  daemon.update(op.id, { progress: { percent: "40" } });
  const current = await handle.refresh();
  assertEquals(current.metadata?.progress, { percent: "40" });
  assertEquals(handle.operation, current);

  const waiting = handle.wait({ timeout: 10_000 });
  daemon.finish(op.id, { status: "Success", metadata: { return: 0 } });
  const final = await waiting;
  assertEquals(final.status, "Success");
  assertEquals(handle.operation?.status, "Success");
  assertEquals(await handle.wait({}, (done) => done.metadata?.return), 0);
});

Deno.test("handle(operation): its project scopes every call; the call's project wins", async () => {
  await using daemon = await FakeDaemon.start();
  await using client = connect({ socket: daemon.path, project: "other" });
  const op = daemon.createOperation({ project: "p1", mayCancel: true });
  const handle = client.operations.handle(op);
  assertEquals([handle.project, handle.operation?.id], ["p1", op.id]);
  assertEquals((await handle.refresh()).project, "p1");
  // The daemons serve an operation whatever the project: what is sent is what counts.
  assertEquals((await handle.refresh({ project: "other" })).id, op.id);
  assertEquals(daemon.requests.at(-1)?.search, "?project=other");
  assertEquals(client.operations.handle(op, { project: "p2" }).project, "p2");
  // A handle is an operation reference too: the collection takes it, with its project.
  assertEquals((await client.operations.get(handle)).id, op.id);
  await handle.cancel();
  await assertRejects(() => handle.wait(), OperationCancelledError);
  assertEquals(handle.operation?.status, "Cancelled", "the error's operation is kept");
  const scoped = daemon.requests.filter((r) => r.path.includes(op.id)).map((r) => r.search);
  assert(scoped.every((search) => search.includes("project=")), scoped.join(" "));
});

Deno.test("handle: the collection's errors, unchanged", async () => {
  await using daemon = await FakeDaemon.start();
  const clock = new ManualClock();
  await using client = connect({ socket: daemon.path, ...onClock(clock) });
  for (const bad of ["../instances/c1", "", null, 42, {}, { id: "x" }]) {
    assertThrows(
      () => client.operations.handle(bad as unknown as string),
      InvalidArgumentError,
    );
  }
  assertEquals(daemon.requests.length, 0);

  const failing = daemon.createOperation();
  const handle = client.operations.handle(`/1.0/operations/${failing.id}`);
  assertEquals(handle.id, failing.id);
  const waiting = assertRejects(() => handle.wait(), OperationFailedError, "disk full");
  daemon.finish(failing.id, { status: "Failure", err: "disk full" });
  await waiting;
  assertEquals(handle.operation?.status, "Failure");
  await assertRejects(() => handle.cancel(), NotCancellableError);

  const running = client.operations.handle(daemon.createOperation().id);
  await assertRejects(() => running.cancel(), NotCancellableError);
  const ended = await clock.run(running.wait({ timeout: 20 }));
  assertInstanceOf(ended.error, OperationTimeoutError);
  assertEquals([ended.at, (ended.error as Error).name], [20, "TimeoutError"]);
  assertEquals(running.operation?.status, "Running", "the timeout's last state is kept");
  const aborted = await assertRejects(() => running.wait({ signal: AbortSignal.abort("stop") }));
  assertEquals(aborted, "stop");

  const gone = client.operations.handle(crypto.randomUUID());
  await assertRejects(() => gone.refresh(), OperationNotFoundError);
  await assertRejects(() => gone.wait(), OperationNotFoundError);
  daemon.finish(running.id, { status: "Success" });
});

Deno.test("handle.watch(): every state until the final one, each kept as the last", async () => {
  await using daemon = await FakeDaemon.start();
  await using client = connect({ socket: daemon.path });
  const op = daemon.createOperation();
  const handle = client.operations.handle(op);
  const states: string[] = [];
  for await (const state of handle.watch()) {
    assertEquals(handle.operation, state);
    states.push(`${state.status} ${JSON.stringify(state.metadata)}`);
    if (states.length === 1) daemon.update(op.id, { step: 1 });
    if (states.length === 2) daemon.finish(op.id, { status: "Success" });
  }
  assertEquals(states, ["Running {}", 'Running {"step":1}', 'Success {"step":1}']);
});

Deno.test("handle.websocket(): an fd name is looked up in metadata.fds; the secret stays hidden", async () => {
  await using daemon = await FakeDaemon.start();
  await using client = connect({ socket: daemon.path });
  const secret = "a".repeat(64);
  const op = daemon.createOperation({ class: "websocket", metadata: { fds: { "0": secret } } });
  const handle = client.operations.handle(op);
  daemon.interceptor = (_request, url) =>
    url.pathname.endsWith("/websocket")
      ? Response.json({ type: "error", error: "refused", error_code: 403 }, { status: 403 })
      : undefined;
  const error = await assertRejects(() => handle.websocket("0"));
  assert(!String((error as Error).message).includes(secret), "the secret is never shown");
  const sent = daemon.requests.filter((r) => r.path === `/1.0/operations/${op.id}/websocket`);
  assertEquals(sent.map((r) => new URLSearchParams(r.search).get("secret")), [secret]);
  await assertRejects(() => handle.websocket("control"));
  assertEquals(
    new URLSearchParams(daemon.requests.at(-1)?.search).get("secret"),
    "control",
    "a name not in fds is sent as the secret itself",
  );
});

Deno.test("startOperation(): a handle on the started operation; a sync answer is a SyncAnswerError", async () => {
  // c1 in the default project and in p1 (exec needs the instance).
  const instances = [{ name: "c1" }, { name: "c1", project: "p1" }];
  await using daemon = await FakeDaemon.start({ instances });
  await using client = connect({ socket: daemon.path });
  const handle = await client.startOperation("/1.0/instances/c1/exec", {
    body: { command: ["sleep", "0.05"], "wait-for-websocket": false },
    project: "p1",
  });
  assertEquals(daemon.requests.at(-1)?.method, "POST");
  assertEquals([handle.project, handle.operation?.status], ["p1", "Running"]);
  assertEquals((await handle.wait()).metadata?.return, 0);
  assertEquals(
    await client.startOperation("/1.0/instances/c1/exec", {
      body: { command: ["true"] },
    }, (started) => started.id.length),
    36,
  );

  // A documented sync endpoint is a type error; a string path reaches the daemon.
  const syncPath: string = "/1.0";
  const sync = await assertRejects(
    () => client.startOperation(syncPath, { method: "PUT", body: {} }),
    SyncAnswerError,
    "applied the write and answered without an operation",
  );
  assert(!(sync instanceof ConnectionError), "not a ConnectionError: a retry would repeat it");
  assertEquals([sync.method, sync.path, sync.status, sync.endpoint], [
    "PUT",
    "/1.0",
    200,
    daemon.path,
  ]);
  assertEquals(sync.metadata, {
    api_version: "1.0",
    api_extensions: ["operations_get_query_all_projects"],
    environment: { server: "fake", project: "default" },
  });
  const before = daemon.requests.length;
  await assertRejects(() => client.startOperation("/1.0/../x" as string), InvalidArgumentError);
  assertEquals(daemon.requests.length, before, "nothing sent");
});

Deno.test("query(): writes still resolve the operation (async) or the metadata (sync)", async () => {
  await using daemon = await FakeDaemon.start();
  await using client = connect({ socket: daemon.path });
  const started = await client.query("/1.0/instances/c1/exec", {
    method: "POST",
    body: { command: ["true"] },
  });
  assertEquals(started.class, "task");
  const handle = client.operations.handle(started);
  assertEquals((await handle.wait()).status, "Success");
  const sync = await client.query<{ api_version: string }>("/1.0", { method: "PUT", body: {} });
  assertEquals(sync.api_version, "1.0");
  const asOperation: Operation = started;
  assertEquals(asOperation.id, handle.id);
});
