import {
  assert,
  assertEquals,
  assertFalse,
  assertInstanceOf,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import {
  Code,
  ConnectionError,
  connectLongRunning,
  IncusOpsError,
  InvalidArgumentError,
  LongRunningFailedError,
  type LongRunningOptions,
  type Operation,
  OperationCancelledError,
  OperationFailedError,
  ProtocolError,
  type RetryInfo,
  RpcError,
} from "../../src/google/mod.ts";
import {
  FakeLongRunning,
  type FakeLongRunningOptions,
  rpcErrorResponse,
} from "../../src/testing/mod.ts";
import { until } from "../_fake.ts";

const FAST: Partial<LongRunningOptions> = {
  polling: { initial: 5, multiplier: 1.5, max: 20, jitter: false },
  retry: { initial: 1, multiplier: 2, max: 5, jitter: false },
};

async function setup(
  fake: FakeLongRunningOptions = {},
  options: Partial<LongRunningOptions> = {},
) {
  const server = await FakeLongRunning.start(fake);
  const operations = connectLongRunning({ baseUrl: server.baseUrl, ...FAST, ...options });
  return {
    server,
    operations,
    [Symbol.asyncDispose]: () => server.close(),
  };
}

/** Fails the first `count` requests matching `method` with `response()`. */
function failFirst(
  server: FakeLongRunning,
  count: number,
  response: () => Response,
  method?: string,
) {
  let left = count;
  server.interceptor = (request) => {
    if (left > 0 && (method === undefined || request.method === method)) {
      left--;
      return response();
    }
    return undefined;
  };
}

/** Holds the first `times` requests for 300 ms (longer than the client waits), then 503. */
function hang(server: FakeLongRunning, times = Infinity) {
  let left = times;
  server.interceptor = async () => {
    if (left <= 0) return undefined;
    left--;
    await new Promise((resolve) => setTimeout(resolve, 300));
    return new Response(null, { status: 503 });
  };
}

// ---------------------------------------------------------------- list

Deno.test("list: pages with a filter; items across pages; .pages() gives the pages", async () => {
  await using t = await setup();
  const ops = Array.from({ length: 5 }, () => t.server.createOperation());
  for (const op of [ops[0], ops[2], ops[4]]) t.server.finish(op.name);
  const listing = t.operations.list("operations", { filter: "done = true", pageSize: 2 });
  const names = [];
  for await (const op of listing) names.push(op.name);
  assertEquals(names, [ops[0].name, ops[2].name, ops[4].name]);
  const pages = await Array.fromAsync(listing.pages());
  assertEquals(pages.map((page) => page.operations.length), [2, 1]);
  assert(typeof pages[0].nextPageToken === "string");
  assertEquals(pages[1].nextPageToken, undefined);
  const gets = t.server.requests.filter((r) => r.method === "GET");
  const last = new URLSearchParams(gets.at(-1)!.search);
  assertEquals(last.get("filter"), "done = true");
  assertEquals(last.get("pageSize"), "2");
  assertEquals(last.get("pageToken"), pages[0].nextPageToken);
  assertEquals(gets.length, 4);
});

Deno.test("list: nothing is sent before iterating; each iteration starts over", async () => {
  await using t = await setup();
  t.server.createOperation();
  const listing = t.operations.list();
  assertEquals(t.server.requests.length, 0);
  assertEquals((await Array.fromAsync(listing)).length, 1);
  assertEquals((await Array.fromAsync(listing)).length, 1);
  assertEquals(t.server.requests.length, 2);
});

Deno.test("list: a parent name lists {parent}/operations; the mutator maps each operation", async () => {
  await using t = await setup();
  t.server.createOperation({ name: "projects/p/operations/a", metadata: { "@type": "m", n: 1 } });
  t.server.createOperation({ name: "projects/p/operations/b", metadata: { "@type": "m", n: 2 } });
  t.server.createOperation({ name: "operations/top" });
  const numbers = await Array.fromAsync(
    t.operations.list("projects/p", {}, (op) => op.metadata?.n as number),
  );
  assertEquals(numbers, [1, 2]);
  assertEquals(t.server.requests.at(-1)!.path, "/v1/projects/p/operations");
  const same = await Array.fromAsync(
    t.operations.list("projects/p/operations", {}, async (op) => await Promise.resolve(op.name)),
  );
  assertEquals(same, ["projects/p/operations/a", "projects/p/operations/b"]);
  assertEquals(t.server.requests.at(-1)!.path, "/v1/projects/p/operations");
  assertEquals((await Array.fromAsync(t.operations.list())).map((op) => op.name), [
    "operations/top",
  ]);
});

Deno.test("list: filters on metadata and name; a bad filter is INVALID_ARGUMENT, not retried", async () => {
  await using t = await setup();
  t.server.createOperation({
    name: "operations/build-1",
    metadata: { "@type": "m", kind: "build" },
  });
  t.server.createOperation({ name: "operations/test-1", metadata: { "@type": "m", kind: "test" } });
  const kinds = await Array.fromAsync(
    t.operations.list("operations", { filter: 'metadata.kind = "test"' }, (op) => op.name),
  );
  assertEquals(kinds, ["operations/test-1"]);
  const builds = await Array.fromAsync(
    t.operations.list("operations", { filter: "name:build AND done = false" }, (op) => op.name),
  );
  assertEquals(builds, ["operations/build-1"]);
  const before = t.server.requests.length;
  const error = await assertRejects(
    () => Array.fromAsync(t.operations.list("operations", { filter: "done >< 3" })),
    RpcError,
  );
  assertEquals(error.code, Code.INVALID_ARGUMENT);
  assertEquals(error.codeName, "INVALID_ARGUMENT");
  assertEquals(error.status, 400);
  assertEquals(t.server.requests.length, before + 1);
});

Deno.test("list: a server repeating its page token is a ProtocolError, not a loop", async () => {
  await using t = await setup();
  t.server.interceptor = () =>
    Response.json({ operations: [{ name: "operations/x" }], nextPageToken: "same" });
  const error = await assertRejects(
    () => Array.fromAsync(t.operations.list("operations", { pageToken: "same" })),
    ProtocolError,
  );
  assertStringIncludes(error.message, "nextPageToken");
});

Deno.test("list: bad options throw at once, nothing sent", async () => {
  await using t = await setup();
  const bad: [string, Record<string, unknown>][] = [
    ["operations", { pageSize: 0 }],
    ["operations", { pageSize: 1.5 }],
    ["operations", { filter: 3 }],
    ["operations", { pageToken: {} }],
    ["operations", { timeout: -1 }],
    ["operations", { retry: { multiplier: 0 } }],
    ["../x", {}],
    ["operations?x=1", {}],
  ];
  for (const [name, options] of bad) {
    assertThrows(() => t.operations.list(name, options), InvalidArgumentError);
  }
  assertEquals(t.server.requests.length, 0);
});

// ---------------------------------------------------------------- get

Deno.test("get: the operation; a mutator's result; NOT_FOUND is an RpcError", async () => {
  await using t = await setup();
  const op = t.server.createOperation({ metadata: { "@type": "m", step: 1 } });
  const got = await t.operations.get(op.name);
  assertEquals(got, { name: op.name, metadata: { "@type": "m", step: 1 } });
  assertEquals(await t.operations.get(op.name, {}, (o) => o.done === true), false);
  assertEquals(t.server.requests.at(-1)!.path, `/v1/${op.name}`);
  const error = await assertRejects(() => t.operations.get("operations/missing"), RpcError);
  assertEquals(error.code, Code.NOT_FOUND);
  assertEquals(error.status, 404);
  assertEquals(error.method, "GET");
  assertEquals(error.path, "/v1/operations/missing");
  assertInstanceOf(error, IncusOpsError);
  assertStringIncludes(error.message, "not found");
});

Deno.test("names: segments are percent-encoded, '/' kept, the server finds them", async () => {
  await using t = await setup();
  const op = t.server.createOperation({ name: "projects/my project/operations/a:b@c" });
  assertEquals((await t.operations.get(op.name)).name, op.name);
  assertEquals(t.server.requests.at(-1)!.path, "/v1/projects/my%20project/operations/a%3Ab%40c");
  await t.operations.cancel(op.name);
  assertEquals(
    t.server.requests.at(-1)!.path,
    "/v1/projects/my%20project/operations/a%3Ab%40c:cancel",
  );
  assertEquals(t.server.state(op.name).operation.error?.code, Code.CANCELLED);
});

Deno.test("names: bad names are InvalidArgumentErrors and nothing is sent", async () => {
  await using t = await setup();
  const bad: unknown[] = [
    "",
    "/operations/x",
    "operations/x/",
    "operations//x",
    "operations/../x",
    "operations/./x",
    "..",
    "operations/x?alt=media",
    "operations/x#frag",
    "operations/x\r\nHost: evil",
    "operations/\u0000",
    42,
    undefined,
    "o".repeat(3000),
  ];
  for (const name of bad) {
    const n = name as string;
    await assertRejects(() => t.operations.get(n), InvalidArgumentError, "invalid operation name");
    await assertRejects(() => t.operations.cancel(n), InvalidArgumentError);
    await assertRejects(() => t.operations.delete(n), InvalidArgumentError);
    await assertRejects(() => t.operations.wait(n), InvalidArgumentError);
  }
  assertEquals(t.server.requests.length, 0);
});

// ---------------------------------------------------------------- cancel and delete

Deno.test("cancel: POST {name}:cancel {}; the operation ends CANCELLED, stays visible", async () => {
  await using t = await setup();
  const op = t.server.createOperation();
  assertEquals(await t.operations.cancel(op.name), undefined);
  const sent = t.server.requests.at(-1)!;
  assertEquals([sent.method, sent.path, sent.body], ["POST", `/v1/${op.name}:cancel`, {}]);
  const after = await t.operations.get(op.name);
  assertEquals(after.done, true);
  assertEquals(after.error?.code, Code.CANCELLED);
  const error = await assertRejects(() => t.operations.wait(op.name), OperationCancelledError);
  assertEquals(error.id, op.name);
  assertEquals((error.operation as Operation | undefined)?.error?.code, 1);
  assertStringIncludes(error.message, "cancelled");
  assertEquals(await t.operations.cancel(op.name, {}, () => "mutated"), "mutated");
});

Deno.test("cancel: best effort: an operation the server cannot stop finishes anyway", async () => {
  await using t = await setup();
  const op = t.server.createOperation({ cancellable: false });
  await t.operations.cancel(op.name);
  assertEquals(t.server.state(op.name).cancelRequests, 1);
  assertFalse((await t.operations.get(op.name)).done ?? false);
  t.server.finish(op.name, { response: { "@type": "r", ok: true } });
  const { response } = await t.operations.wait(op.name);
  assertEquals(response, { "@type": "r", ok: true });
});

Deno.test("delete: DELETE {name}: forgotten, not cancelled (it runs on)", async () => {
  await using t = await setup();
  const op = t.server.createOperation({ durationMs: 30, response: { "@type": "r", v: 1 } });
  assertEquals(await t.operations.delete(op.name, {}, () => 7), 7);
  const sent = t.server.requests.at(-1)!;
  assertEquals([sent.method, sent.path, sent.body], ["DELETE", `/v1/${op.name}`, undefined]);
  const error = await assertRejects(() => t.operations.get(op.name), RpcError);
  assertEquals(error.code, Code.NOT_FOUND);
  assertEquals(t.server.state(op.name).deleted, true);
  assertEquals(t.server.state(op.name).operation.error, undefined);
  await until(() => t.server.state(op.name).operation.done === true); // it ran on
  assertEquals(t.server.state(op.name).operation.done, true);
  assertEquals(t.server.state(op.name).operation.response, { "@type": "r", v: 1 });
});

// ---------------------------------------------------------------- wait

Deno.test("wait: with :wait, long-polls POST {name}:wait and resolves with response and operation", async () => {
  await using t = await setup();
  const op = t.server.createOperation({ durationMs: 50, response: { "@type": "r", id: 9 } });
  const result = await t.operations.wait(op.name, { timeout: 5_000 });
  assertEquals(result.response, { "@type": "r", id: 9 });
  assertEquals(result.operation.name, op.name);
  assertEquals(result.operation.done, true);
  const waits = t.server.requests.filter((r) => r.path.endsWith(":wait"));
  assertEquals(waits.length, 1);
  assertEquals(waits[0].method, "POST");
  assertEquals(waits[0].body, { timeout: "5s" });
  assertEquals(t.server.requests.filter((r) => r.method === "GET").length, 0);
  assertEquals(await t.operations.wait(op.name, {}, ({ response }) => response?.id), 9);
});

Deno.test("wait: a :wait that returns early is repeated until done", async () => {
  await using t = await setup({ maxWaitMs: 20 });
  const op = t.server.createOperation({ durationMs: 120 });
  const { operation } = await t.operations.wait(op.name);
  assertEquals(operation.done, true);
  assert(t.server.requests.filter((r) => r.path.endsWith(":wait")).length >= 2);
});

for (const mode of [false, "unimplemented"] as const) {
  Deno.test(`wait: a server without :wait (${mode === false ? "404" : "501"}) is polled with GET`, async () => {
    await using t = await setup({ waitMethod: mode });
    const op = t.server.createOperation({ durationMs: 60, response: { "@type": "r" } });
    const seen: Operation[] = [];
    const { response } = await t.operations.wait(op.name, { onProgress: (o) => seen.push(o) });
    assertEquals(response, { "@type": "r" });
    const paths = t.server.requests.map((r) => `${r.method} ${r.path}`);
    assertEquals(paths.filter((p) => p.endsWith(":wait")).length, 1);
    assert(paths.filter((p) => p.startsWith("GET")).length >= 2);
    assertEquals(seen.at(-1)?.done, true);
    assertFalse(seen[0].done ?? false);
    // The client remembers: the next wait goes straight to GET.
    const next = t.server.createOperation({ durationMs: 10 });
    const count = t.server.requests.length;
    await t.operations.wait(next.name);
    assert(t.server.requests.slice(count).every((r) => r.method === "GET"));
  });
}

Deno.test("wait: an unknown operation on a server without :wait is NOT_FOUND, not 'no :wait'", async () => {
  await using t = await setup({ waitMethod: false });
  const error = await assertRejects(() => t.operations.wait("operations/missing"), RpcError);
  assertEquals(error.code, Code.NOT_FOUND);
  assertEquals(error.method, "GET");
});

Deno.test("wait: waitMethod false never tries :wait; true never falls back", async () => {
  await using t = await setup({ waitMethod: false });
  const op = t.server.createOperation({ durationMs: 20 });
  const polling = connectLongRunning({ baseUrl: t.server.baseUrl, ...FAST, waitMethod: false });
  await polling.wait(op.name);
  assert(t.server.requests.every((r) => r.method === "GET"));
  const strict = connectLongRunning({ baseUrl: t.server.baseUrl, ...FAST, waitMethod: true });
  const error = await assertRejects(() => strict.wait(op.name), RpcError);
  assertEquals(error.status, 404);
  assertEquals(error.method, "POST");
});

Deno.test("wait: an operation error rejects with its rpc code, message and details", async () => {
  await using t = await setup();
  const op = t.server.createOperation();
  const details = [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "QUOTA" }];
  t.server.finish(op.name, { error: { code: Code.RESOURCE_EXHAUSTED, message: "quota", details } });
  const error = await assertRejects(() => t.operations.wait(op.name), LongRunningFailedError);
  assertEquals(error.code, 8);
  assertEquals(error.err, "quota");
  assertEquals(error.details, details);
  assertEquals(error.operation?.name, op.name);
  assertEquals(error.status, 429);
  assertStringIncludes(error.message, "RESOURCE_EXHAUSTED: quota");
  assertInstanceOf(error, OperationFailedError);
  assertFalse(error instanceof OperationCancelledError);
});

Deno.test("wait: onProgress sees every state; metadata progress included", async () => {
  await using t = await setup({ waitMethod: false });
  const op = t.server.createOperation({ metadata: { "@type": "p", percent: 0 } });
  const percents: unknown[] = [];
  const waiting = t.operations.wait(op.name, {
    onProgress: (o) => {
      percents.push(o.metadata?.percent);
      if (o.metadata?.percent === 0) t.server.update(op.name, { "@type": "p", percent: 50 });
      else if (!o.done) t.server.finish(op.name);
    },
  });
  await waiting;
  assertEquals(percents, [0, 50, 50]);
});

Deno.test("wait: timeout rejects with TimeoutError; the operation keeps running", async () => {
  await using t = await setup();
  const op = t.server.createOperation();
  const error = await assertRejects(
    () => t.operations.wait(op.name, { timeout: 50 }),
    DOMException,
    "still running after 50 ms",
  );
  assertEquals(error.name, "TimeoutError");
  assertFalse(t.server.state(op.name).operation.done ?? false);
  assertEquals(t.server.requests.at(-1)!.body, { timeout: "1s" });
});

Deno.test("wait: the signal aborts the long poll with its reason", async () => {
  await using t = await setup();
  const op = t.server.createOperation();
  const controller = new AbortController();
  const reason = new Error("user gave up");
  setTimeout(() => controller.abort(reason), 30);
  const error = await assertRejects(() =>
    t.operations.wait(op.name, { signal: controller.signal })
  );
  assert(error === reason);
  const before = t.server.requests.length;
  await assertRejects(() => t.operations.wait(op.name, { signal: controller.signal }));
  assertEquals(t.server.requests.length, before);
});

Deno.test("wait: the signal aborts a polling pause too", async () => {
  await using t = await setup({ waitMethod: false }, {
    polling: { initial: 60_000, max: 60_000, jitter: false },
  });
  const op = t.server.createOperation();
  const error = await assertRejects(
    () => t.operations.wait(op.name, { signal: AbortSignal.timeout(30) }),
    DOMException,
  );
  assertEquals(error.name, "TimeoutError");
});

// ---------------------------------------------------------------- retries

Deno.test("retry: 503 twice, then success; api_core-style pauses reported", async () => {
  await using t = await setup();
  const op = t.server.createOperation();
  failFirst(t.server, 2, () => rpcErrorResponse(Code.UNAVAILABLE, "try later"));
  const retries: RetryInfo[] = [];
  const got = await t.operations.get(op.name, {
    retry: { onRetry: (info) => retries.push(info) },
  });
  assertEquals(got.name, op.name);
  assertEquals(t.server.requests.length, 3);
  assertEquals(retries.map((r) => [r.attempt, r.delay]), [[0, 1], [1, 2]]);
  assertEquals((retries[0].error as RpcError).code, Code.UNAVAILABLE);
});

Deno.test("retry: a bare HTTP 504 and DEADLINE_EXCEEDED are retried; list, cancel, delete too", async () => {
  await using t = await setup();
  const op = t.server.createOperation();
  failFirst(t.server, 1, () => new Response("gateway timeout", { status: 504 }));
  assertEquals((await Array.fromAsync(t.operations.list())).length, 1);
  failFirst(t.server, 1, () => rpcErrorResponse(Code.DEADLINE_EXCEEDED, "slow"));
  await t.operations.cancel(op.name);
  failFirst(t.server, 1, () => new Response("", { status: 503 }));
  await t.operations.delete(op.name);
  assertEquals(t.server.requests.map((r) => r.method), [
    "GET",
    "GET",
    "POST",
    "POST",
    "DELETE",
    "DELETE",
  ]);
});

Deno.test("retry: other codes are not retried (INTERNAL, RESOURCE_EXHAUSTED, NOT_FOUND)", async () => {
  await using t = await setup();
  const op = t.server.createOperation();
  for (const code of [Code.INTERNAL, Code.RESOURCE_EXHAUSTED, Code.PERMISSION_DENIED]) {
    failFirst(t.server, 1, () => rpcErrorResponse(code, "no"));
    const before = t.server.requests.length;
    const error = await assertRejects(() => t.operations.get(op.name), RpcError);
    assertEquals(error.code, code);
    assertEquals(t.server.requests.length, before + 1);
  }
});

Deno.test("retry: false on the client or the call turns it off; a call can turn it back on", async () => {
  await using t = await setup({}, { retry: false });
  const op = t.server.createOperation();
  failFirst(t.server, 1, () => rpcErrorResponse(Code.UNAVAILABLE, "down"));
  const error = await assertRejects(() => t.operations.get(op.name), RpcError);
  assertEquals(error.code, Code.UNAVAILABLE);
  assertEquals(t.server.requests.length, 1);
  failFirst(t.server, 1, () => rpcErrorResponse(Code.UNAVAILABLE, "down"));
  await t.operations.get(op.name, { retry: { initial: 1, jitter: false } });
  assertEquals(t.server.requests.length, 3);

  const retrying = connectLongRunning({ baseUrl: t.server.baseUrl, ...FAST });
  failFirst(t.server, 1, () => rpcErrorResponse(Code.UNAVAILABLE, "down"));
  await assertRejects(() => retrying.get(op.name, { retry: false }), RpcError);
  assertEquals(t.server.requests.length, 4);
});

Deno.test("retry: the deadline bounds the retries; the last RpcError is thrown", async () => {
  await using t = await setup({}, { retry: { initial: 20, max: 20, deadline: 50, jitter: false } });
  const op = t.server.createOperation();
  failFirst(t.server, 100, () => rpcErrorResponse(Code.UNAVAILABLE, "down"));
  const error = await assertRejects(() => t.operations.get(op.name), RpcError);
  assertEquals(error.code, Code.UNAVAILABLE);
  const count = t.server.requests.length;
  assert(count >= 2 && count <= 4, `${count} attempts`);
});

Deno.test("retry: wait's requests are retried too", async () => {
  await using t = await setup();
  const op = t.server.createOperation({ durationMs: 20 });
  failFirst(t.server, 2, () => rpcErrorResponse(Code.UNAVAILABLE, "down"), "POST");
  assertEquals((await t.operations.wait(op.name)).operation.done, true);
  assert(t.server.requests.length >= 3);
});

Deno.test("retry: an attempt over requestTimeout is abandoned and retried", async () => {
  await using t = await setup({}, { requestTimeout: 50 });
  const op = t.server.createOperation();
  hang(t.server, 1);
  assertEquals((await t.operations.get(op.name)).name, op.name);
  assertEquals(t.server.requests.length, 2);
});

Deno.test("retry: a refused connection is retried, then thrown as ConnectionError", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const retries: number[] = [];
  const operations = connectLongRunning({
    baseUrl: `http://127.0.0.1:${port}/v1`,
    retry: { initial: 1, jitter: false, maxAttempts: 3, onRetry: (i) => retries.push(i.attempt) },
  });
  const error = await assertRejects(() => operations.get("operations/x"), ConnectionError);
  assertStringIncludes(error.message, `127.0.0.1:${port}`);
  assertEquals(retries, [0, 1]);
});

Deno.test("a 200 that is not JSON is a ProtocolError and not retried", async () => {
  await using t = await setup();
  t.server.interceptor = () => new Response("<html>hi</html>", { status: 200 });
  await assertRejects(() => t.operations.get("operations/x"), ProtocolError, "not JSON");
  assertEquals(t.server.requests.length, 1);
});

Deno.test("retry: methodRetry makes a method non-idempotent (not retried) while others retry", async () => {
  await using t = await setup({}, { methodRetry: { cancel: false } });
  const op = t.server.createOperation();
  failFirst(t.server, 1, () => rpcErrorResponse(Code.UNAVAILABLE, "down"));
  const error = await assertRejects(() => t.operations.cancel(op.name), RpcError);
  assertEquals(error.code, Code.UNAVAILABLE);
  assertEquals(t.server.requests.length, 1);
  assertEquals(t.server.state(op.name).cancelRequests, 0);
  failFirst(t.server, 1, () => rpcErrorResponse(Code.UNAVAILABLE, "down"));
  await t.operations.get(op.name);
  assertEquals(t.server.requests.length, 3);
  // A call's own retry option still wins.
  failFirst(t.server, 1, () => rpcErrorResponse(Code.UNAVAILABLE, "down"));
  await t.operations.cancel(op.name, { retry: { initial: 1 } });
  assertEquals(t.server.state(op.name).cancelRequests, 1);
  assertThrows(
    () =>
      connectLongRunning({ baseUrl: t.server.baseUrl, methodRetry: { create: false } as never }),
    InvalidArgumentError,
    "methodRetry",
  );
});

Deno.test("mutators and onProgress: what they throw is what the call rejects with", async () => {
  await using t = await setup();
  const op = t.server.createOperation();
  t.server.finish(op.name);
  const boom = new Error("boom");
  for (
    const call of [
      () =>
        t.operations.get(op.name, {}, () => {
          throw boom;
        }),
      () => t.operations.wait(op.name, {}, () => Promise.reject(boom)),
      () =>
        t.operations.wait(op.name, {
          onProgress: () => {
            throw boom;
          },
        }),
      () =>
        Array.fromAsync(t.operations.list("operations", {}, () => {
          throw boom;
        })),
      // Last: it removes the operation.
      () =>
        t.operations.delete(op.name, {}, () => {
          throw boom;
        }),
    ]
  ) {
    const error = await assertRejects(call);
    assert(error === boom);
  }
});

Deno.test("fake: a page token from another listing is INVALID_ARGUMENT", async () => {
  await using t = await setup({ defaultPageSize: 1 });
  t.server.createOperation();
  t.server.createOperation();
  const [first] = await Array.fromAsync(t.operations.list().pages());
  assert(first.nextPageToken !== undefined);
  const error = await assertRejects(
    () =>
      Array.fromAsync(
        t.operations.list("operations", { filter: "done = false", pageToken: first.nextPageToken }),
      ),
    RpcError,
  );
  assertEquals(error.code, Code.INVALID_ARGUMENT);
  const bogus = await assertRejects(
    () => Array.fromAsync(t.operations.list("operations", { pageToken: "not-a-token" })),
    RpcError,
  );
  assertEquals(bogus.code, Code.INVALID_ARGUMENT);
});

// ---------------------------------------------------------------- timeout and abort

Deno.test("timeout: a call over its timeout rejects with TimeoutError", async () => {
  await using t = await setup();
  hang(t.server);
  const error = await assertRejects(
    () => t.operations.get("operations/x", { timeout: 40 }),
    DOMException,
  );
  assertEquals(error.name, "TimeoutError");
});

Deno.test("abort: a call in flight rejects with the signal's reason; aborted calls send nothing", async () => {
  await using t = await setup();
  hang(t.server);
  const controller = new AbortController();
  const reason = new Error("stop");
  setTimeout(() => controller.abort(reason), 20);
  const error = await assertRejects(() =>
    t.operations.cancel("operations/x", { signal: controller.signal })
  );
  assert(error === reason);
  const count = t.server.requests.length;
  await assertRejects(() => t.operations.get("operations/x", { signal: controller.signal }));
  await assertRejects(() =>
    Array.fromAsync(t.operations.list("operations", { signal: controller.signal }))
  );
  assertEquals(t.server.requests.length, count);
});

// ---------------------------------------------------------------- headers, client, options

Deno.test("headers: static and getHeaders per attempt; values never in errors", async () => {
  let minted = 0;
  await using t = await setup({}, {
    headers: { "x-goog-user-project": "proj" },
    getHeaders: () => ({ authorization: `Bearer secret-token-${++minted}` }),
  });
  const op = t.server.createOperation();
  failFirst(t.server, 1, () => rpcErrorResponse(Code.UNAVAILABLE, "down"));
  await t.operations.get(op.name);
  const [first, second] = t.server.requests;
  assertEquals(first.headers.get("authorization"), "Bearer secret-token-1");
  assertEquals(second.headers.get("authorization"), "Bearer secret-token-2");
  assertEquals(second.headers.get("x-goog-user-project"), "proj");
  assertEquals(second.headers.get("accept"), "application/json");
  t.server.interceptor = () => rpcErrorResponse(Code.UNAUTHENTICATED, "bad credentials");
  const error = await assertRejects(() => t.operations.get(op.name), RpcError);
  assertEquals(error.code, Code.UNAUTHENTICATED);
  assertFalse(error.message.includes("secret-token"));
  assertFalse(JSON.stringify(error).includes("secret-token"));
});

Deno.test("headers: an async getHeaders gets the call's signal", async () => {
  await using t = await setup();
  let signalSeen: AbortSignal | undefined;
  const operations = connectLongRunning({
    baseUrl: t.server.baseUrl,
    getHeaders: async ({ signal }) => {
      signalSeen = signal;
      await Promise.resolve();
      return [["authorization", "Bearer t"]];
    },
  });
  const op = t.server.createOperation();
  await operations.get(op.name);
  assertInstanceOf(signalSeen, AbortSignal);
  assertEquals(t.server.requests[0].headers.get("authorization"), "Bearer t");
});

Deno.test("client: requests go through the caller's Deno.HttpClient", async () => {
  await using t = await setup();
  await using client = Deno.createHttpClient({});
  const operations = connectLongRunning({ baseUrl: `${t.server.baseUrl}/`, client });
  const op = t.server.createOperation({ durationMs: 10 });
  assertEquals((await operations.wait(op.name)).operation.done, true);
  assertEquals(operations.baseUrl, t.server.baseUrl);
});

Deno.test("connectLongRunning: bad options are InvalidArgumentErrors; credentials never shown", () => {
  const bad: [unknown, string][] = [
    [undefined, "options"],
    [{ baseUrl: "not a url" }, "baseUrl"],
    [{ baseUrl: "ftp://example.com/v1" }, "http"],
    [{ baseUrl: "https://example.com/v1?key=1" }, "query"],
    [{ baseUrl: "https://example.com/v1#x" }, "fragment"],
    [{ baseUrl: "https://user:hunter2@example.com/v1" }, "credentials"],
    [{ baseUrl: "https://example.com/v1", retry: { initial: -1 } }, "retry.initial"],
    [{ baseUrl: "https://example.com/v1", retry: "always" }, "retry"],
    [{ baseUrl: "https://example.com/v1", requestTimeout: -5 }, "requestTimeout"],
    [{ baseUrl: "https://example.com/v1", polling: { multiplier: 0.2 } }, "polling.multiplier"],
    [{ baseUrl: "https://example.com/v1", getHeaders: "Bearer x" }, "getHeaders"],
  ];
  for (const [options, text] of bad) {
    const error = assertThrows(
      () => connectLongRunning(options as LongRunningOptions),
      InvalidArgumentError,
      text,
    );
    assertFalse(error.message.includes("hunter2"));
  }
});
