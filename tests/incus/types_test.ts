/**
 * Types that narrow: this file must type-check (`@ts-expect-error` marks
 * what must not), and its calls run on the fake daemon so the types are
 * checked against what the client really returns.
 */

import { assert, assertEquals } from "@std/assert";
import {
  connect,
  type EventBase,
  type EventStream,
  type ExecOperation,
  type IncusEvent,
  type LifecycleEvent,
  type ListOptions,
  type Operation,
  type OperationEvent,
  type OperationHandle,
  type QueryOptions,
} from "../../mod.ts";
import type { Server } from "../../src/api/incus_6_0.ts";
import { FakeDaemon } from "../../src/testing/mod.ts";
import { assertType, type IsExact } from "./_types.ts";

Deno.test("types: list() with a ListOptions variable or a 0 | 1 recursion", async () => {
  await using daemon = await FakeDaemon.start();
  await using client = connect({ socket: daemon.path });
  const op = daemon.createOperation();

  const options: ListOptions = { recursion: 1 };
  const either = await client.operations.list(options);
  assertType<IsExact<typeof either, Operation[] | string[]>>(true);
  assertEquals((either as Operation[]).map((o) => o.id), [op.id]);

  const recursion = [0, 1][Number(Deno.args.length > 99)] as 0 | 1; // 0, typed 0 | 1
  const ids = await client.operations.list({ recursion });
  assertType<IsExact<typeof ids, Operation[] | string[]>>(true);
  assertEquals(ids, [op.id]);

  const counted = await client.operations.list(options, (items) => items.length);
  assertType<IsExact<typeof counted, number>>(true);
  assertEquals(counted, 1);

  const full = await client.operations.list();
  assertType<IsExact<typeof full, Operation[]>>(true);
  const literalIds = await client.operations.list({ recursion: 0 });
  assertType<IsExact<typeof literalIds, string[]>>(true);
  const literalFull = await client.operations.list({ recursion: 1 });
  assertType<IsExact<typeof literalFull, Operation[]>>(true);
  const idLengths = await client.operations.list({ recursion: 0 }, (list) => list[0].length);
  assertType<IsExact<typeof idLengths, number>>(true);
  assertEquals([full.length, literalIds, literalFull.length, idLengths], [1, [op.id], 1, 36]);
  // @ts-expect-error ids are strings, not operations
  const _wrong: Operation[] = await client.operations.list({ recursion: 0 });
  // @ts-expect-error the result is not typed by the variable it is assigned to
  const _widened: number = await client.operations.get(op.id);
});

Deno.test("types: query() types documented paths; a string path resolves unknown for GETs, the Operation for writes", async () => {
  await using daemon = await FakeDaemon.start();
  await using client = connect({ socket: daemon.path });

  const server = await client.query("/1.0");
  assertType<IsExact<typeof server, Server>>(true);
  assertEquals(server.api_version, "1.0");
  const root: string = "/1.0";
  const untyped = await client.query(root);
  assertType<IsExact<typeof untyped, unknown>>(true);
  // @ts-expect-error a string path's answer is unknown unless typed
  untyped.api_version;
  const typed = await client.query<{ api_version: string }>(root);
  assertEquals(typed.api_version, "1.0");

  // The README's wait example: `started.id` with no type argument and no cast.
  const instance = "c1";
  const started = await client.query(`/1.0/instances/${instance}/exec`, {
    method: "POST",
    body: { command: ["sleep", "0.05"], "wait-for-websocket": false },
  });
  assertType<IsExact<typeof started, ExecOperation>>(true);
  const done = await client.operations.wait(started.id, { timeout: 10_000 });
  assertEquals(done.status, "Success");

  const final = await client.query("/1.0/instances/c1/exec", {
    method: "POST",
    body: { command: ["true"], "wait-for-websocket": false },
    wait: true,
  });
  const code = final.metadata?.return;
  assertType<IsExact<typeof code, number | undefined>>(true);
  assertEquals(code, 0);

  const state = await client.query("/1.0/instances/c1/exec?project=default", {
    method: "POST",
    body: { command: ["true"] },
  }, (op) => op.metadata?.return);
  assertType<IsExact<typeof state, number | undefined>>(true);

  const other = await client.query(`/1.0/instances/${instance}/state`, {
    method: "PUT",
    body: { action: "start" },
  }).catch(() => undefined);
  assertType<IsExact<typeof other, Operation | undefined>>(true);

  const explicit = await client.query<Operation>("/1.0/instances/c1/exec", {
    method: "POST",
    body: { command: ["true"] },
  });
  assertType<IsExact<typeof explicit, Operation>>(true);

  const options: QueryOptions = { method: "GET" };
  const dynamic = await client.query(root, options);
  assertType<IsExact<typeof dynamic, unknown>>(true);
  assert(dynamic !== null && typeof dynamic === "object");
});

Deno.test("types: events narrow on type, and types: [...] sets the element type", async () => {
  await using daemon = await FakeDaemon.start();
  await using client = connect({ socket: daemon.path });
  const controller = new AbortController();
  await using all = client.events({ signal: controller.signal });
  await using operations = client.events({ types: ["operation"] });
  await using two = client.events({ types: ["operation", "lifecycle"] });
  await using ovn = client.events({ types: ["ovn"] });
  await Promise.all([all.opened, operations.opened, two.opened, ovn.opened]);

  const op = daemon.createOperation();
  daemon.emitEvent("lifecycle", { action: "instance-started", source: "/1.0/instances/c1" });
  daemon.emitEvent("logging", { message: "hello", level: "info", context: {} });
  daemon.emitEvent("ovn", { anything: 1 });

  const first = (await operations.next()).value!;
  assertType<IsExact<typeof first, OperationEvent>>(true);
  const fromEvent: Operation = first.metadata;
  assertEquals(fromEvent.id, op.id);

  const seen: string[] = [];
  for await (const event of all) {
    assertType<IsExact<typeof event, IncusEvent>>(true);
    switch (event.type) {
      case "operation":
        seen.push(`operation ${event.metadata.status}`);
        break;
      case "lifecycle":
        seen.push(`lifecycle ${event.metadata.action} ${event.metadata.source}`);
        break;
      default:
        seen.push(`${event.type} ${event.metadata.message}`);
    }
    if (seen.length === 3) break;
  }
  assertEquals(seen, [
    "operation Running",
    "lifecycle instance-started /1.0/instances/c1",
    "logging hello",
  ]);

  for (let i = 0; i < 2; i++) {
    const event = (await two.next()).value!;
    assertType<IsExact<typeof event, OperationEvent | LifecycleEvent>>(true);
    if (event.type === "lifecycle") assertEquals(event.metadata.action, "instance-started");
    else assertEquals(event.metadata.id, op.id);
  }

  const unknownType = (await ovn.next()).value!;
  assertType<IsExact<typeof unknownType, EventBase<"ovn", unknown>>>(true);
  assertEquals([unknownType.type, unknownType.metadata], ["ovn", { anything: 1 }]);

  const names: string[] = ["operation"];
  await using runtime = client.events({ types: names });
  assertType<IsExact<typeof runtime, typeof all>>(true);
  await using none = client.events({ types: [] });
  assertType<IsExact<typeof none, typeof all>>(true);
  const kept = ["lifecycle"] as const;
  await using fromConstant = client.events({ types: kept });
  assertType<IsExact<typeof fromConstant, EventStream<LifecycleEvent>>>(true);
  controller.abort();
});

Deno.test("types: handles carry the operation's type", async () => {
  await using daemon = await FakeDaemon.start();
  await using client = connect({ socket: daemon.path });
  const exec = await client.startOperation("/1.0/instances/c1/exec", {
    body: { command: ["true"], "wait-for-websocket": false },
  });
  assertType<IsExact<typeof exec, OperationHandle<ExecOperation>>>(true);
  const final = await exec.wait();
  const code: number | undefined = final.metadata?.return;
  assertEquals(code, 0);

  const byId = client.operations.handle(daemon.createOperation().id);
  assertType<IsExact<typeof byId, OperationHandle<Operation>>>(true);
  assertType<IsExact<typeof byId.operation, Operation | undefined>>(true);
  const typedById = client.operations.handle<ExecOperation>(final.id);
  const refreshed = await typedById.refresh();
  assertType<IsExact<typeof refreshed, ExecOperation>>(true);
  const status = await byId.refresh({}, (op) => op.status);
  assertEquals(status, "Running");

  const recorded = await client.execRecorded("c1", ["true"]);
  const recordedCode = recorded.operation.metadata?.return;
  assertType<IsExact<typeof recordedCode, number | undefined>>(true);
  assertEquals([recorded.exitCode, recordedCode], [0, 0]);
});
