import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import {
  type Client,
  connect,
  ConnectionError,
  IncusError,
  IncusOpsError,
  InvalidArgumentError,
  type Operation,
  OperationFailedError,
  ProtocolError,
} from "../../mod.ts";
import { fake, undeclaredLengthResponse, until } from "../_fake.ts";
import { openSockets } from "../_process.ts";

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
  await using t = await fake();
  const { daemon, client } = t;
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
  await using t = await fake();
  const { daemon, client } = t;
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
  await using t = await fake({ client: { waitSliceMs: 1_000 } });
  const { client } = t;
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
  await using t = await fake({ client: { project: "p&1" } });
  const { daemon, client } = t;
  await client.query("/1.0?recursion=1" as string, { query: { filter: "a=b c" } });
  assertEquals(daemon.requests.at(-1)?.search, "?recursion=1&filter=a%3Db+c&project=p%261");
  await client.query("/1.0", { project: "other" });
  assertEquals(daemon.requests.at(-1)?.search, "?project=other");
});

Deno.test("server error envelopes become IncusError with status and text", async () => {
  await using t = await fake();
  const { client } = t;
  const error = await assertRejects(() => client.query("/1.0/nothing-here" as string), IncusError);
  assertEquals([error.status, error.message, error.method, error.path], [
    404,
    "not found",
    "GET",
    "/1.0/nothing-here",
  ]);
});

Deno.test("an error inside an HTTP 200 is still an error", async () => {
  await using t = await fake();
  const { daemon, client } = t;
  daemon.interceptor = () =>
    Response.json({ type: "error", error: "hidden failure", error_code: 500 });
  const error = await assertRejects(() => client.operations.list(), IncusError);
  assertEquals([error.status, error.message], [500, "hidden failure"]);
});

Deno.test("garbage answers are ProtocolError naming the target", async () => {
  await using t = await fake();
  const { daemon, client } = t;
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
  await using t = await fake({ client: { maxResponseBytes: 100_000 } });
  const { daemon, client } = t;
  const big = JSON.stringify({ type: "sync", metadata: "x".repeat(200_000) });
  daemon.interceptor = () => new Response(big);
  const error = await assertRejects(() => client.operations.list(), ProtocolError);
  assertStringIncludes(error.message, "maxResponseBytes");
  daemon.interceptor = () => undeclaredLengthResponse();
  await assertRejects(() => client.operations.list(), ProtocolError, "maxResponseBytes");
});

Deno.test("maxResponseBytes: Infinity reads a large chunked answer whole", async () => {
  await using t = await fake();
  const { daemon } = t;
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
  assertEquals(error.endpoint, path);
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
  await using t = await fake({ client: { requestTimeout: 100 } });
  const { daemon, client } = t;
  const release = Promise.withResolvers<void>();
  daemon.interceptor = async () => {
    await release.promise;
    return Response.json({ type: "sync", metadata: {} });
  };
  const error = await assertRejects(() => client.operations.list(), ConnectionError);
  assertStringIncludes(error.message, "within 100 ms");
  release.resolve();
});

Deno.test("close() rejects calls in flight with a ConnectionError; later calls too", async () => {
  await using t = await fake();
  const { daemon } = t;
  const op = daemon.createOperation();
  const client = connect({ socket: daemon.path });
  const waiting = client.operations.wait(op.id);
  await until(() => daemon.eventStreams === 1); // in flight
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

Deno.test("connect: a certificate or key Deno cannot read is InvalidArgumentError, not shown", () => {
  const error = assertThrows(
    () => connect({ url: "https://127.0.0.1:8443", cert: "junk-cert", key: "junk-key" }),
    InvalidArgumentError,
    "PEM",
  );
  assert(!error.message.includes("junk-"), "the PEM text is never shown");
});

Deno.test("the client is disposable with using / await using", async () => {
  await using t = await fake();
  const { daemon } = t;
  const op = daemon.createOperation();
  const sockets = openSockets(); // the daemon's listener and the unused client of `t`
  let pending: Promise<unknown>;
  let kept: Client;
  {
    await using client = connect({ socket: daemon.path });
    kept = client;
    await client.operations.list(); // a pooled connection
    pending = client.operations.wait(op.id).catch((error) => error); // the events socket
    await until(() => daemon.eventStreams === 1);
    assert(openSockets() > sockets, "the client holds sockets while in use");
  }
  // `await using` closed it: the wait in flight and any later call are refused...
  const error = await pending;
  assert(error instanceof ConnectionError && error.message.includes("closed"), String(error));
  await assertRejects(() => kept.operations.list(), ConnectionError, "closed");
  // ...and every socket it held is released (the daemon saw the events stream end).
  await until(() => daemon.eventStreams === 0 && openSockets() <= sockets);
  {
    using client = connect({ socket: daemon.path });
    kept = client;
    await client.operations.list();
  }
  // `using` (synchronous) closes it too.
  await assertRejects(() => kept.operations.get(op.id), ConnectionError, "closed");
  await until(() => openSockets() <= sockets);
  assertEquals(daemon.requests.filter((r) => r.path === "/1.0/operations").length, 2);
});
