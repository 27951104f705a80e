/**
 * The google client against a hostile server: redirects to another origin,
 * header sources that never settle, and page tokens that cycle.
 */

import { assert, assertEquals, assertInstanceOf, assertStringIncludes } from "@std/assert";
import { connectLongRunning, ProtocolError } from "../../src/google/mod.ts";
import { FakeLongRunning } from "../../src/testing/mod.ts";
import { within } from "../faults/_bounded.ts";

/** A plain HTTP server on another port that records what reaches it. */
function otherOrigin() {
  const seen: { method: string; url: string; headers: Headers; body: string }[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      seen.push({
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: await request.text(),
      });
      return Response.json({ name: "operations/evil", done: true, response: { evil: true } });
    },
  );
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    seen,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

Deno.test("google: a redirect to another origin is a ProtocolError naming it; nothing reaches it", async () => {
  await using other = otherOrigin();
  await using server = await FakeLongRunning.start();
  const op = server.createOperation({ durationMs: 60_000 });
  server.interceptor = (request, url) =>
    new Response(null, {
      status: request.method === "GET" ? 302 : 307,
      headers: { location: `${other.origin}${url.pathname}?stolen=1` },
    });
  const operations = connectLongRunning({
    baseUrl: server.baseUrl,
    headers: { "x-goog-api-key": "KEY-123" },
    retry: false,
  });
  const calls: [string, () => Promise<unknown>][] = [
    ["get", () => operations.get(op.name)],
    ["cancel", () => operations.cancel(op.name)],
    ["wait", () => operations.wait(op.name, { timeout: 5_000 })],
    ["list", () => Array.fromAsync(operations.list())],
  ];
  for (const [label, call] of calls) {
    const error = await within(10_000, call().then(() => undefined, (e) => e));
    assertInstanceOf(error, ProtocolError, label);
    assertStringIncludes(error.message, other.origin, label);
    assertStringIncludes(error.message, "redirect", label);
    assert(!error.message.includes("stolen"), `${label}: the location's query is not shown`);
    assert(error.status >= 300 && error.status < 400, label);
  }
  assertEquals(other.seen.length, 0, "nothing (no API key, no body) reached the other origin");
});

Deno.test("google: a getHeaders that never settles loses to timeout and signal", async () => {
  await using server = await FakeLongRunning.start();
  const op = server.createOperation({ durationMs: 60_000 });
  const operations = connectLongRunning({
    baseUrl: server.baseUrl,
    getHeaders: () => new Promise<HeadersInit>(() => {}),
    retry: false,
  });
  const timedGet = await within(5_000, operations.get(op.name, { timeout: 100 }).catch((e) => e));
  assertEquals(timedGet.name, "TimeoutError", "get({ timeout })");
  const timedWait = await within(5_000, operations.wait(op.name, { timeout: 100 }).catch((e) => e));
  assertEquals(timedWait.name, "TimeoutError", "wait({ timeout })");
  const controller = new AbortController();
  const aborted = operations.get(op.name, { signal: controller.signal }).catch((e) => e);
  const reason = new Error("gave up");
  controller.abort(reason);
  assertEquals(await within(5_000, aborted), reason, "get({ signal })");
  assertEquals(server.requests.length, 0, "nothing was sent without its headers");
});

Deno.test("google: page tokens cycling A, B, A end with a ProtocolError, not an endless listing", async () => {
  await using server = await FakeLongRunning.start();
  const next: Record<string, string> = { "": "A", A: "B", B: "A" };
  let pages = 0;
  server.interceptor = (_request, url) => {
    pages++;
    const token = url.searchParams.get("pageToken") ?? "";
    return Response.json({
      operations: [{ name: `operations/${pages}` }],
      nextPageToken: next[token],
    });
  };
  const operations = connectLongRunning({ baseUrl: server.baseUrl, retry: false });
  const error = await within(5_000, Array.fromAsync(operations.list()).catch((e) => e));
  assertInstanceOf(error, ProtocolError);
  assertStringIncludes(error.message, "nextPageToken it gave before");
  assertEquals(pages, 3, "stopped at the first repeated token");
});

Deno.test("google: a listing is bounded by maxPages (ProtocolError past it)", async () => {
  await using server = await FakeLongRunning.start();
  let pages = 0;
  server.interceptor = () => {
    pages++;
    return Response.json({ operations: [], nextPageToken: `t${pages}` });
  };
  const operations = connectLongRunning({ baseUrl: server.baseUrl, retry: false });
  const error = await within(
    5_000,
    Array.fromAsync(operations.list("operations", { maxPages: 5 }).pages()).catch((e) => e),
  );
  assertInstanceOf(error, ProtocolError);
  assertStringIncludes(error.message, "within 5 pages");
  assertEquals(pages, 5);
  // A listing that ends within the bound is whole.
  pages = 0;
  server.interceptor = () => {
    pages++;
    return Response.json({ operations: [], nextPageToken: pages < 5 ? `t${pages}` : undefined });
  };
  const whole = await Array.fromAsync(operations.list("operations", { maxPages: 5 }).pages());
  assertEquals(whole.length, 5);
});
