/**
 * The one request path (src/incus/transport/transport.ts: `fetch` on the
 * pooled client) on the fake daemon and on raw servers that answer in
 * every HTTP/1.1 framing, or not in HTTP at all.
 */

import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import {
  connect,
  ConnectionError,
  IncusError,
  ProtocolError,
  ResponseTimeoutError,
} from "../../../mod.ts";
import { fake, undeclaredLengthResponse } from "../../_fake.ts";
import { type Misbehaving, misbehaving, readHead, write } from "../../faults/_misbehaving.ts";

const encoder = new TextEncoder();

/** A raw server that reads each request's head, then writes `pieces`, one write each. */
function answering(pieces: string[]): Misbehaving {
  return misbehaving(async (conn) => {
    if (!(await readHead(conn))) return;
    for (const piece of pieces) await write(conn, piece);
  });
}

/** A sync envelope's text. */
function envelope(metadata: unknown): string {
  return JSON.stringify({ type: "sync", status: "Success", status_code: 200, metadata });
}

Deno.test("request: an error envelope is an IncusError with its status, method and path", async () => {
  await using t = await fake();
  const error = await assertRejects(() => t.client.query("/1.0/nothing" as string), IncusError);
  assertEquals([error.status, error.method, error.path], [404, "GET", "/1.0/nothing"]);
});

Deno.test("request: a JSON body is sent with its type and length", async () => {
  await using t = await fake();
  let seen: [string, string | null, unknown] | undefined;
  t.daemon.interceptor = async (request) => {
    seen = [request.method, request.headers.get("content-type"), await request.json()];
    return new Response(envelope({}));
  };
  await t.client.query("/1.0/anything" as string, { method: "PUT", body: { a: [1, "ü"] } });
  assertEquals(seen, ["PUT", "application/json", { a: [1, "ü"] }]);
});

Deno.test("request: chunked and declared-length answers are read whole, within maxResponseBytes", async () => {
  const metadata = { description: "y".repeat(50_000) };
  const body = encoder.encode(envelope(metadata));
  await using t = await fake({ client: { maxResponseBytes: 60_000 } });
  const { daemon, client } = t;
  daemon.interceptor = () =>
    new Response(
      new ReadableStream({
        start(controller) {
          for (let i = 0; i < body.length; i += 7_000) controller.enqueue(body.slice(i, i + 7_000));
          controller.close();
        },
      }),
    );
  assertEquals(await client.query("/1.0/big" as string), metadata);
  daemon.interceptor = () => new Response(body);
  assertEquals(await client.query("/1.0/big" as string), metadata);
});

Deno.test("request: an answer over maxResponseBytes is a ProtocolError (declared or chunked)", async () => {
  await using t = await fake({ client: { maxResponseBytes: 100_000 } });
  const { daemon, client } = t;
  const big = envelope("x".repeat(200_000));
  daemon.interceptor = () => new Response(big, { status: 200 });
  const declared = await assertRejects(() => client.query("/1.0/big" as string), ProtocolError);
  assertStringIncludes(declared.message, `${big.length} bytes, over the 100000-byte limit`);
  assertEquals([declared.status, declared.path], [200, "/1.0/big"]);
  daemon.interceptor = () => undeclaredLengthResponse();
  const chunked = await assertRejects(() => client.query("/1.0/big" as string), ProtocolError);
  assertStringIncludes(chunked.message, "more than 100000 bytes");
  assertStringIncludes(chunked.message, "maxResponseBytes");
});

Deno.test("request: a redirect is refused, naming only its origin", async () => {
  await using t = await fake();
  t.daemon.interceptor = () =>
    new Response(null, { status: 307, headers: { location: "https://elsewhere.example/x?s=1" } });
  const error = await assertRejects(() => t.client.query("/1.0"), ProtocolError);
  assertStringIncludes(error.message, "a redirect to https://elsewhere.example");
  assert(!error.message.includes("s=1"));
  assertEquals(error.status, 307);
});

Deno.test("request: abort, time limit and close end a request that gets no answer", async () => {
  let release = () => {};
  const held = new Promise<void>((resolve) => release = resolve);
  await using t = await fake({ client: { requestTimeout: 100 } });
  t.daemon.interceptor = async () => {
    await held;
    return new Response(envelope({}));
  };
  try {
    const controller = new AbortController();
    const aborted = t.client.query("/1.0/held" as string, { signal: controller.signal });
    controller.abort(new Error("stop"));
    await assertRejects(() => aborted, Error, "stop");
    const timedOut = await assertRejects(
      () => t.client.query("/1.0/held" as string),
      ResponseTimeoutError,
    );
    assertStringIncludes(timedOut.message, "within 100 ms");
    await using other = connect({ socket: t.daemon.path });
    const closing = other.query("/1.0/held" as string);
    await other.close();
    await assertRejects(() => closing, ConnectionError, "is closed");
  } finally {
    release();
  }
});

Deno.test("request: every HTTP/1.1 framing is read (length in pieces, chunks with extensions and trailers, to the end)", async () => {
  const text = envelope({ answer: 42 });
  const half = text.length >> 1;
  const framings: string[][] = [
    [
      `HTTP/1.1 200 OK\r\nContent-Length: ${text.length}\r\n\r\n${text.slice(0, half)}`,
      text.slice(half),
    ],
    [
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
      `${half.toString(16)};ext=1\r\n${text.slice(0, half)}\r\n`,
      `${(text.length - half).toString(16)}\r\n${text.slice(half)}\r\n0\r\nX-Trailer: y\r\n\r\n`,
    ],
    ["HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n", text],
  ];
  for (const framing of framings) {
    await using server = answering(framing);
    await using client = connect({ socket: server.path });
    assertEquals(await client.query("/1.0/x" as string, { query: { a: "b" } }), { answer: 42 });
  }
});

Deno.test("request: an answer that is not HTTP is a ConnectionError naming the socket", async () => {
  for (
    const garbage of [["SSH-2.0-OpenSSH\r\n"], [], [
      "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n{}",
    ]]
  ) {
    await using server = answering(garbage);
    await using client = connect({ socket: server.path });
    const error = await assertRejects(() => client.query("/1.0"), ConnectionError);
    assert(!(error instanceof ProtocolError), error.message);
    assertStringIncludes(error.message, server.path);
    assertEquals(error.status, 0);
  }
});
