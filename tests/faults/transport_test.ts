/**
 * Fault matrix, transport and server faults 1–9 and 23: each case asserts
 * the error class, the message shape and a bounded time; the sanitizers
 * (on in deno.json) prove nothing leaks.
 */

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertLess,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import { connect, ConnectionError, ProtocolError, ResponseTimeoutError } from "../../mod.ts";
import { fake, requestsTo, until } from "../_fake.ts";
import { head, misbehaving, readHead, write } from "./_misbehaving.ts";

const ID = "8d8c6c41-4b5e-4ed5-b8b3-5ba1c3b0f1a2";

/** Runs `call`, asserts it took less than `ms`, and returns its rejection. */
async function failsWithin(ms: number, call: () => Promise<unknown>): Promise<Error> {
  const started = performance.now();
  const error = await call().then(() => undefined, (e) => e);
  assertLess(performance.now() - started, ms);
  assert(error instanceof Error, `expected a failure, got ${error}`);
  return error;
}

Deno.test("8.1 socket path missing: ConnectionError naming the path and the fix", async () => {
  const path = "/tmp/incusops-no-such-dir/unix.socket";
  await using client = connect({ socket: path });
  const error = await failsWithin(2_000, () => client.operations.list());
  assertInstanceOf(error, ConnectionError);
  assertStringIncludes(error.message, path);
  assertStringIncludes(error.message, "does not exist");
  assertStringIncludes(error.message, "INCUS_SOCKET");
});

Deno.test("8.3 path is not a socket: says so and how to fix it", async () => {
  const file = await Deno.makeTempFile();
  try {
    await using client = connect({ socket: file });
    const error = await failsWithin(2_000, () => client.operations.get(ID));
    assertInstanceOf(error, ConnectionError);
    assertStringIncludes(error.message, file);
    assertStringIncludes(error.message, "not a socket");
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("8.4 server accepts then closes without answering: ConnectionError, no retry storm", async () => {
  await using server = misbehaving(async (conn) => {
    await readHead(conn);
  });
  await using client = connect({ socket: server.path });
  const error = await failsWithin(5_000, () => client.operations.list());
  assertInstanceOf(error, ConnectionError);
  assertStringIncludes(error.message, server.path);
  assertLess(server.accepted, 3, "a daemon that never answered is not hammered");
});

for (
  const [number, label, body, expected] of [
    ["8.5", "garbage (non-JSON)", "<html>oops</html>", "is not JSON (HTTP 200, 17 characters"],
    ["8.6", "truncated JSON", '{"type":"sync","metadata":{"id":"x"', "is not JSON (HTTP 200"],
    ["8.7", "valid JSON, wrong envelope", '{"hello":"world"}', "not an Incus/LXD envelope"],
  ] as const
) {
  Deno.test(`${number} server answers ${label}: ProtocolError naming the target`, async () => {
    await using server = misbehaving(async (conn) => {
      if (await readHead(conn)) await write(conn, head(200, body.length) + body);
    });
    await using client = connect({ socket: server.path });
    const error = await failsWithin(2_000, () => client.operations.get(ID));
    assertInstanceOf(error, ProtocolError);
    assertStringIncludes(error.message, server.path);
    assertStringIncludes(error.message, expected);
    assertStringIncludes(error.message, `GET /1.0/operations/${ID}`);
  });
}

Deno.test("8.8 a 50 MB body: refused at the cap (declared or streamed), memory bounded", async () => {
  const size = 50 * 1024 * 1024;
  const chunk = new Uint8Array(1024 * 1024).fill(0x20);
  for (const declared of [true, false]) {
    await using server = misbehaving(async (conn) => {
      if (!(await readHead(conn))) return;
      const prefix = declared
        ? head(200, size)
        : `HTTP/1.1 200 X\r\ntransfer-encoding: chunked\r\n\r\n`;
      await write(conn, prefix);
      for (let sent = 0; sent < size; sent += chunk.length) {
        await write(conn, declared ? chunk : `${chunk.length.toString(16)}\r\n`);
        if (!declared) await write(conn, chunk), await write(conn, "\r\n");
      }
    });
    (globalThis as { gc?: () => void }).gc?.();
    const before = Deno.memoryUsage().rss;
    await using client = connect({ socket: server.path, maxResponseBytes: 4 * 1024 * 1024 });
    const error = await failsWithin(10_000, () => client.operations.list());
    assertInstanceOf(error, ProtocolError);
    assertStringIncludes(error.message, "over the 4194304-byte limit");
    assertStringIncludes(error.message, "maxResponseBytes");
    const grown = (Deno.memoryUsage().rss - before) / 2 ** 20;
    assertLess(grown, 48, `RSS grew ${grown.toFixed(1)} MB for a 4 MiB cap`);
  }
});

Deno.test("8.9 server stalls mid-body: requestTimeout fires, the connection is released", async () => {
  let stalls = 0;
  await using server = misbehaving(async (conn) => {
    if (!(await readHead(conn))) return;
    stalls++;
    await write(conn, head(200, 1000) + '{"type":"sync","metadata":');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
  });
  await using client = connect({ socket: server.path, requestTimeout: 200 });
  const error = await failsWithin(1_400, () => client.operations.list());
  assertInstanceOf(error, ResponseTimeoutError);
  assertStringIncludes(error.message, "within 200 ms");
  assertStringIncludes(error.message, "requestTimeout");
  // Released: the next call gets its own attempt (and its own timeout).
  await assertRejects(() => client.operations.list(), ResponseTimeoutError);
  assert(stalls >= 2);
});

Deno.test("8.9 a process whose only work is a stalled request still gets its time limit", async () => {
  // The deadline's alarm never keeps a process alive by itself (the request
  // in flight does): here it must still fire, in a process of its own.
  await using server = misbehaving(async (conn) => {
    if (!(await readHead(conn))) return;
    await new Promise((resolve) => setTimeout(resolve, 3_000));
  });
  const script = `import { connect } from ${
    JSON.stringify(new URL("../../mod.ts", import.meta.url).href)
  };
    const client = connect({ socket: Deno.args[0], requestTimeout: 300 });
    const error = await client.operations.list().catch((e) => e);
    console.log(JSON.stringify({ name: error?.name, message: error?.message }));`;
  const map = decodeURIComponent(
    new URL("../../.ci/offline-imports.json", import.meta.url).pathname,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--import-map", map, script, server.path],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const guard = setTimeout(() => child.kill("SIGKILL"), 30_000); // a hang guard only
  const { code, stdout, stderr } = await child.output();
  clearTimeout(guard);
  assertEquals(code, 0, new TextDecoder().decode(stderr));
  const result = JSON.parse(new TextDecoder().decode(stdout));
  assertEquals(result.name, "ResponseTimeoutError");
  assertStringIncludes(result.message, "within 300 ms");
});

Deno.test("8.23 close() during in-flight calls rejects them cleanly, and later ones", async () => {
  await using t = await fake();
  const { daemon } = t;
  const op = daemon.createOperation();
  const client = connect({ socket: daemon.path, events: false });
  const calls = [
    client.operations.wait(op.id).catch((e) => e),
    client.operations.wait(op.id, { timeout: 60_000 }).catch((e) => e),
  ];
  await until(() => requestsTo(daemon, "/wait") >= 2); // both in flight
  await client.close();
  for (const error of await Promise.all(calls)) {
    assertInstanceOf(error, ConnectionError);
    assertStringIncludes(error.message, "is closed");
  }
  await assertRejects(() => client.operations.list(), ConnectionError, "is closed");
});
