/**
 * Fault matrix, bad input 15–19: rejected with a clear typed error before
 * anything is sent (the fake daemon counts requests), never another request.
 */

import { assertEquals, assertRejects, assertStringIncludes, assertThrows } from "@std/assert";
import { connect, InvalidArgumentError } from "../../mod.ts";
import { FakeDaemon } from "../../src/testing/mod.ts";

const BAD_IDS = [
  "../instances/x",
  "..%2Finstances",
  "a/b",
  "a?b",
  "a#b",
  "",
  " ",
  "\t8d8c6c41-4b5e-4ed5-b8b3-5ba1c3b0f1a2",
  "x".repeat(4096),
  "8d8c6c41-4b5e-4ed5-b8b3-5ba1c3b0f1aé",
  "8d8c6c41-4b5e-4ed5-b8b3-5ba1c3b0\u0000f1a2",
  "/1.0/operations/../instances/c1",
  "/1.0/instances/c1",
];

Deno.test("8.15 bad ids are rejected by every call, nothing sent", async () => {
  await using daemon = await FakeDaemon.start();
  await using client = connect({ socket: daemon.path });
  for (const id of BAD_IDS) {
    const calls: (() => Promise<unknown>)[] = [
      () => client.operations.get(id),
      () => client.operations.wait(id),
      () => client.operations.cancel(id),
      () => client.operations.delete(id),
      () => client.operations.websocket(id, "secret"),
      () => client.operations.waitAll([id]),
      () => client.operations.waitAny([id]),
      async () => {
        for await (const _ of client.operations.watch(id)) break;
      },
    ];
    for (const call of calls) {
      const error = await assertRejects(call, InvalidArgumentError);
      assertStringIncludes(error.message, "invalid operation id");
    }
  }
  assertEquals(daemon.requests.length, 0);
});

Deno.test("8.16 project names with &, = and / are encoded, never split or pathed", async () => {
  await using daemon = await FakeDaemon.start();
  const project = "a&b=c/d";
  await using client = connect({ socket: daemon.path, project, events: false });
  const op = daemon.createOperation({ project });
  assertEquals((await client.operations.get(op.id)).id, op.id);
  await client.operations.list();
  const searches = daemon.requests.map((r) => [r.path, r.search]);
  for (const [path, search] of searches) {
    assertEquals(path.includes("a&b"), false, path);
    assertStringIncludes(search, "project=a%26b%3Dc%2Fd");
  }
});

Deno.test("8.17 negative, NaN, infinite and non-number timeouts are refused; huge ones clamped", async () => {
  await using daemon = await FakeDaemon.start();
  await using client = connect({ socket: daemon.path });
  const op = daemon.createOperation({ durationMs: 20 });
  for (const timeout of [-1, NaN, Infinity, -Infinity, "5" as unknown as number]) {
    await assertRejects(() => client.operations.wait(op.id, { timeout }), InvalidArgumentError);
    await assertRejects(
      () => client.operations.waitAll([op.id], { timeout }),
      InvalidArgumentError,
    );
    await assertRejects(() => client.query("/1.0", { timeout }), InvalidArgumentError);
    assertThrows(
      () => connect({ socket: daemon.path, requestTimeout: timeout }),
      InvalidArgumentError,
    );
  }
  assertEquals(daemon.requests.length, 0);
  assertEquals((await client.operations.wait(op.id, { timeout: 2 ** 53 })).status, "Success");
});

Deno.test("8.18 a mutator that throws or rejects: the call rejects with its error", async () => {
  await using daemon = await FakeDaemon.start();
  await using client = connect({ socket: daemon.path });
  const op = daemon.createOperation({ durationMs: 10 });
  const boom = new Error("mutator failed");
  assertEquals(
    await client.operations.list({}, () => {
      throw boom;
    }).catch((e) => e),
    boom,
  );
  assertEquals(
    await client.operations.get(op.id, {}, () => Promise.reject(boom)).catch((e) => e),
    boom,
  );
  assertEquals(
    await client.operations.wait(op.id, {}, async () => {
      await Promise.resolve();
      throw boom;
    }).catch((e) => e),
    boom,
  );
  assertEquals(
    await client.query("/1.0", {}, () => {
      throw boom;
    }).catch((e) => e),
    boom,
  );
});

Deno.test("8.19 an already aborted signal rejects at once with its reason, nothing sent", async () => {
  await using daemon = await FakeDaemon.start();
  await using client = connect({ socket: daemon.path });
  const op = daemon.createOperation();
  const reason = new Error("already gone");
  const signal = AbortSignal.abort(reason);
  const calls: (() => Promise<unknown>)[] = [
    () => client.operations.list({ signal }),
    () => client.operations.get(op.id, { signal }),
    () => client.operations.wait(op.id, { signal }),
    () => client.operations.cancel(op.id, { signal }),
    () => client.operations.waitAll([op.id], { signal }),
    () => client.query("/1.0", { signal }),
    () => client.exec("c1", ["true"], { signal }),
    async () => {
      for await (const _ of client.operations.watch(op.id, { signal })) break;
    },
  ];
  for (const call of calls) assertEquals(await call().catch((e) => e), reason);
  assertEquals(daemon.requests.length, 0);
});
