import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import {
  connect,
  ConnectionError,
  IncusError,
  IncusOpsError,
  InvalidArgumentError,
  type Operation,
  OperationFailedError,
  ProtocolError,
} from "../../mod.ts";
import { FakeDaemon } from "../../src/testing/mod.ts";

const BAD_IDS = [
  "../instances/c1",
  "..%2Finstances",
  "%2e%2e",
  "a/b",
  "a?b",
  "a#b",
  "",
  " ",
  "\t",
  "x".repeat(4096),
  "ünïcødé",
  "abc\u0000def",
  "00000000-0000-4000-8000-000000000000/../../instances/c1",
  "00000000-0000-4000-8000-000000000000?project=x",
  "00000000-0000-4000-8000-000000000000 ",
  "/1.0/instances/c1",
  undefined as unknown as string,
  42 as unknown as string,
];

Deno.test("bad operation ids throw InvalidArgumentError and send nothing", async () => {
  await using daemon = await FakeDaemon.start();
  await using client = connect({ socket: daemon.path });
  for (const id of BAD_IDS) {
    for (
      const call of [
        () => client.operations.get(id),
        () => client.operations.wait(id),
        () => client.operations.cancel(id),
        () => client.operations.delete(id),
      ]
    ) {
      const error = await assertRejects(call, InvalidArgumentError);
      assert(error instanceof IncusOpsError, "one base class");
      assertStringIncludes(error.message, "invalid operation id");
      assert(error.message.length < 300, "the message quotes a shortened id");
      assert(!error.message.includes("\u0000"), "control characters are escaped");
    }
  }
  assertEquals(daemon.requests, []);
});

Deno.test("query: a path outside the API or with traversal is refused, nothing sent", async () => {
  await using daemon = await FakeDaemon.start();
  await using client = connect({ socket: daemon.path });
  for (
    const path of [
      "instances",
      "/2.0/instances",
      "/1.0/../1.0/instances",
      "/1.0/operations/..",
      "/1.0/operations/%2e%2e/instances",
      "/1.0/instances%2Fc1",
      "/1.0/instances#x",
      "/1.0/instances c1",
      "/1.0/instances\nHost: evil",
      "/1.0x",
      "http://evil.example/1.0",
    ]
  ) {
    await assertRejects(() => client.query(path), InvalidArgumentError, "invalid API path");
  }
  assertEquals(daemon.requests, []);
});

Deno.test("query: sync metadata, async operation, wait for the final one", async () => {
  await using daemon = await FakeDaemon.start();
  await using client = connect({ socket: daemon.path, waitSliceMs: 1_000 });
  const info = await client.query<{ api_version: string }>("/1.0");
  assertEquals(info.api_version, "1.0");
  assertEquals(
    await client.query("/1.0", {}, (i) => (i as { api_version: string }).api_version),
    "1.0",
  );
  const body = { command: ["sleep", "0.05"], "wait-for-websocket": false };
  const started = await client.query<Operation>("/1.0/instances/c1/exec", {
    method: "POST",
    body,
  });
  assertEquals(started.status, "Running");
  const final = await client.query<Operation>("/1.0/instances/c1/exec", {
    method: "POST",
    body,
    wait: true,
  });
  assertEquals([final.status, final.metadata?.return], ["Success", 0]);
  const failed = await assertRejects(
    () =>
      client.query("/1.0/instances/c1/exec", {
        method: "POST",
        body: { command: ["missing"] },
        wait: true,
      }),
    OperationFailedError,
  );
  assertEquals(failed.err, "Command not found");
});

Deno.test("query: project and extra parameters are encoded", async () => {
  await using daemon = await FakeDaemon.start();
  await using client = connect({ socket: daemon.path, project: "p&1" });
  await client.query("/1.0?recursion=1", { query: { filter: "a=b c" } });
  assertEquals(daemon.requests.at(-1)?.search, "?recursion=1&filter=a%3Db+c&project=p%261");
  await client.query("/1.0", { project: "other" });
  assertEquals(daemon.requests.at(-1)?.search, "?project=other");
});

Deno.test("server error envelopes become IncusError with status and text", async () => {
  await using daemon = await FakeDaemon.start();
  await using client = connect({ socket: daemon.path });
  const error = await assertRejects(() => client.query("/1.0/nothing-here"), IncusError);
  assertEquals([error.status, error.message, error.method, error.path], [
    404,
    "not found",
    "GET",
    "/1.0/nothing-here",
  ]);
});

Deno.test("an error inside an HTTP 200 is still an error", async () => {
  await using daemon = await FakeDaemon.start();
  daemon.interceptor = () =>
    Response.json({ type: "error", error: "hidden failure", error_code: 500 });
  await using client = connect({ socket: daemon.path });
  const error = await assertRejects(() => client.operations.list(), IncusError);
  assertEquals([error.status, error.message], [500, "hidden failure"]);
});

Deno.test("garbage answers are ProtocolError naming the target", async () => {
  await using daemon = await FakeDaemon.start();
  await using client = connect({ socket: daemon.path });
  const answers = [
    () => new Response("<html>proxy</html>"),
    () => new Response('{"type":"sync","metadata":{'),
    () => Response.json({ hello: "world" }),
    () => Response.json([1, 2]),
    () => new Response(""),
  ];
  for (const answer of answers) {
    daemon.interceptor = answer;
    const error = await assertRejects(() => client.operations.list(), ProtocolError);
    assert(error instanceof ConnectionError);
    assertStringIncludes(error.message, daemon.path);
  }
});

Deno.test("a body over maxResponseBytes is refused with a clear error", async () => {
  await using daemon = await FakeDaemon.start();
  const big = JSON.stringify({ type: "sync", metadata: "x".repeat(200_000) });
  daemon.interceptor = () => new Response(big);
  await using client = connect({ socket: daemon.path, maxResponseBytes: 100_000 });
  const error = await assertRejects(() => client.operations.list(), ProtocolError);
  assertStringIncludes(error.message, "maxResponseBytes");
  daemon.interceptor = () =>
    new Response(
      new ReadableStream({
        start(controller) {
          for (let i = 0; i < 30; i++) controller.enqueue(new Uint8Array(10_000));
          controller.close();
        },
      }),
    );
  await assertRejects(() => client.operations.list(), ProtocolError, "maxResponseBytes");
});

Deno.test("maxResponseBytes: Infinity reads a large chunked answer whole", async () => {
  await using daemon = await FakeDaemon.start();
  const op = daemon.createOperation({ description: "x".repeat(300_000) });
  const envelope = new TextEncoder().encode(
    JSON.stringify({ type: "sync", status: "Success", status_code: 200, metadata: op }),
  );
  // Chunked (no content-length), in 10 kB pieces, as Incus and LXD send large lists.
  daemon.interceptor = () =>
    new Response(
      new ReadableStream({
        start(controller) {
          for (let i = 0; i < envelope.length; i += 10_000) {
            controller.enqueue(envelope.slice(i, i + 10_000));
          }
          controller.close();
        },
      }),
    );
  await using capped = connect({ socket: daemon.path, maxResponseBytes: 100_000 });
  await assertRejects(() => capped.operations.get(op.id), ProtocolError, "maxResponseBytes");
  await using uncapped = connect({ socket: daemon.path, maxResponseBytes: Infinity });
  assertEquals((await uncapped.operations.get(op.id)).description.length, 300_000);
  await using byDefault = connect({ socket: daemon.path });
  assertEquals((await byDefault.operations.get(op.id)).description.length, 300_000);
});

Deno.test("a bad maxResponseBytes is an InvalidArgumentError before connecting", () => {
  for (const value of [0, -1, NaN, "64" as unknown as number]) {
    const error = assertThrows(
      () => connect({ socket: "/nonexistent", maxResponseBytes: value }),
      InvalidArgumentError,
    );
    assertStringIncludes(error.message, "maxResponseBytes");
  }
});

Deno.test("a missing socket is a ConnectionError naming the path and the fix", async () => {
  const path = "/tmp/incusops-definitely-missing/unix.socket";
  await using client = connect({ socket: path });
  const error = await assertRejects(() => client.operations.list(), ConnectionError);
  assertStringIncludes(error.message, path);
  assertStringIncludes(error.message, "INCUS_SOCKET");
  assertEquals(error.target, path);
});

Deno.test("a path that is not a socket says so", async () => {
  const file = await Deno.makeTempFile();
  try {
    await using client = connect({ socket: file });
    const error = await assertRejects(() => client.operations.list(), ConnectionError);
    assertStringIncludes(error.message, "not a socket");
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("a stalled answer ends at requestTimeout and releases the connection", async () => {
  await using daemon = await FakeDaemon.start();
  const release = Promise.withResolvers<void>();
  daemon.interceptor = async () => {
    await release.promise;
    return Response.json({ type: "sync", metadata: {} });
  };
  await using client = connect({ socket: daemon.path, requestTimeout: 100 });
  const error = await assertRejects(() => client.operations.list(), ConnectionError);
  assertStringIncludes(error.message, "within 100 ms");
  release.resolve();
});

Deno.test("close() rejects calls in flight with a ConnectionError; later calls too", async () => {
  await using daemon = await FakeDaemon.start();
  const op = daemon.createOperation();
  const client = connect({ socket: daemon.path });
  const waiting = client.operations.wait(op.id);
  await new Promise((resolve) => setTimeout(resolve, 30));
  client.close();
  await assertRejects(() => waiting, ConnectionError, "closed");
  await assertRejects(() => client.operations.list(), ConnectionError, "closed");
  client.close();
});

Deno.test("connect: a remote must be https", () => {
  assertThrows(
    () => connect({ url: "http://example.invalid:8443" }),
    InvalidArgumentError,
    "https",
  );
});

Deno.test("the client is disposable with using / await using", async () => {
  await using daemon = await FakeDaemon.start();
  {
    await using client = connect({ socket: daemon.path });
    await client.operations.list();
  }
  {
    await using client = connect({ socket: daemon.path });
    await client.operations.list();
  }
});
