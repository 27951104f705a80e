/**
 * Hostile clients against the fake servers of `./testing` (a user's test
 * with a runaway or stalled request body): a body over `maxBodyBytes` is
 * answered 413 (unread past a declared length, else as soon as it passes),
 * one slower than `bodyTimeoutMs` 408. They read whole bodies, without any
 * bound, before.
 */

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertLess,
  assertStringIncludes,
} from "@std/assert";
import { connect, IncusError } from "../../mod.ts";
import { FakeDaemon, FakeLongRunning } from "../../src/testing/mod.ts";
import { MiB, within } from "./_bounded.ts";
import { write } from "./_misbehaving.ts";

/**
 * Writes `head`, then `body` once (`"endless"`: 16 KiB chunks until the
 * answer came), never the rest; resolves with the answer (its status and
 * text) and the body bytes written before it.
 */
async function exchange(
  conn: Deno.Conn,
  head: string,
  body: string | "endless",
): Promise<{ status: number; text: string; written: number }> {
  let answered = false;
  let written = 0;
  const chunk = `4000\r\n${"x".repeat(0x4000)}\r\n`;
  const writing = (async () => {
    await write(conn, head);
    if (body !== "endless") return await write(conn, body);
    while (!answered) {
      await write(conn, chunk);
      written += 0x4000;
    }
  })().catch(() => {});
  let text = "";
  const buffer = new Uint8Array(65536);
  const decoder = new TextDecoder();
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) break;
    text += decoder.decode(buffer.subarray(0, n), { stream: true });
    const [head, rest] = text.split("\r\n\r\n");
    const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? NaN);
    if (rest !== undefined && rest.length >= length) break;
  }
  answered = true;
  conn.close();
  await writing;
  return { status: Number(text.slice(9, 12)), text, written };
}

Deno.test("8.113 fake servers: a request body over maxBodyBytes is answered 413, declared or chunked (read whole before)", async () => {
  {
    await using daemon = await FakeDaemon.start({ maxBodyBytes: 64 * 1024 });
    await using client = connect({ socket: daemon.path });
    const body = { command: ["echo", "x".repeat(100_000)], "wait-for-websocket": false };
    const refused = await within(
      10_000,
      client.query("/1.0/instances/c1/exec", { method: "POST", body }).catch((error) => error),
    );
    assertInstanceOf(refused, IncusError);
    assertEquals(refused.status, 413);
    assertStringIncludes(refused.message, "over the 65536-byte limit (maxBodyBytes)");
  }
  // Endless chunked bodies, at the default limit (1 MiB).
  const chunked = (path: string, host: string) =>
    `POST ${path} HTTP/1.1\r\nhost: ${host}\r\ntransfer-encoding: chunked\r\n` +
    `content-type: application/json\r\n\r\n`;
  {
    await using daemon = await FakeDaemon.start();
    const conn = await Deno.connect({ transport: "unix", path: daemon.path });
    const answer = await within(
      10_000,
      exchange(conn, chunked("/1.0/instances", "fake"), "endless"),
    );
    assertEquals(answer.status, 413);
    assertStringIncludes(answer.text, '"error_code":413');
    assertStringIncludes(answer.text, "more than 1048576 bytes: over the 1048576-byte limit");
    assertLess(answer.written, 64 * MiB, "the fake stopped reading at its limit");
  }
  {
    await using fake = await FakeLongRunning.start();
    const port = Number(new URL(fake.baseUrl).port);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const path = "/v1/operations/op-1:cancel";
    const answer = await within(10_000, exchange(conn, chunked(path, "127.0.0.1"), "endless"));
    assertEquals(answer.status, 413);
    assertStringIncludes(answer.text, '"INVALID_ARGUMENT"');
    assertStringIncludes(answer.text, "(maxBodyBytes)");
    assertLess(answer.written, 64 * MiB, "the fake stopped reading at its limit");
  }
});

Deno.test("8.114 fake servers: a request body that stalls is answered 408 after bodyTimeoutMs (never answered before)", async () => {
  const stalled = (path: string, host: string) =>
    `${path} HTTP/1.1\r\nhost: ${host}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n`;
  {
    await using daemon = await FakeDaemon.start({ bodyTimeoutMs: 200 });
    const conn = await Deno.connect({ transport: "unix", path: daemon.path });
    const head = stalled("PUT /1.0/instances/c1/state", "fake");
    const answer = await within(10_000, exchange(conn, head, '{"act'));
    assertEquals(answer.status, 408);
    assertStringIncludes(answer.text, "request body not received within 200 ms (bodyTimeoutMs)");
    assert(daemon.requests.length === 1, "the request was received");
  }
  {
    await using fake = await FakeLongRunning.start({ bodyTimeoutMs: 200 });
    const port = Number(new URL(fake.baseUrl).port);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const head = stalled("POST /v1/operations/op-1:cancel", "127.0.0.1");
    const answer = await within(10_000, exchange(conn, head, "{"));
    assertEquals(answer.status, 408);
    assertStringIncludes(answer.text, '"DEADLINE_EXCEEDED"');
    assertStringIncludes(answer.text, "(bodyTimeoutMs)");
  }
});
