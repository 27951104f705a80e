/**
 * Fault matrix 29–32: `query` paths parsed as URLSearchParams (a `project=`
 * inside a value, a second `?`, a parameter given twice), `timeout` bounding
 * the whole `query({ wait })` and `execRecorded` call when the daemon stalls
 * the POST, and websocket secrets kept out of errors (a failed wait's
 * `.operation`, a `?secret=` on a dead socket).
 */

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import {
  connect,
  ConnectionError,
  InvalidArgumentError,
  OperationFailedError,
  type QueryOptions,
  ResponseTimeoutError,
} from "../../mod.ts";
import { FakeDaemon } from "../../src/testing/mod.ts";
import { head, misbehaving, write } from "./_misbehaving.ts";
import { outcome, within } from "./_bounded.ts";

const SECRET = "5ec4e7".repeat(10);

/** Every rendering of an error a user or a log may see. */
function renderings(error: unknown): string[] {
  return [String(error), Deno.inspect(error, { depth: 10 }), JSON.stringify(error)];
}

Deno.test("8.29 query: project= inside a value does not stop the client's project; the path's own project wins", async () => {
  await using daemon = await FakeDaemon.start();
  await using client = connect({ socket: daemon.path, project: "p1" });
  const sent = () => new URLSearchParams(daemon.requests.at(-1)!.search);
  await client.query("/1.0/operations?filter=project=x");
  assertEquals(sent().get("filter"), "project=x");
  assertEquals(sent().getAll("project"), ["p1"], "the client's project is added");
  await client.query("/1.0/operations?project=x");
  assertEquals(sent().getAll("project"), ["x"], "the path's own project, once");
  await client.query("/1.0/operations?project=x", { project: "x" });
  assertEquals(sent().getAll("project"), ["x"]);
  await client.query("/1.0/operations" as string, { query: { recursion: "1" } });
  assertEquals([sent().get("recursion"), sent().get("project")], ["1", "p1"]);
});

Deno.test("8.30 query: ambiguous paths are InvalidArgumentError, nothing sent", async () => {
  await using daemon = await FakeDaemon.start();
  await using client = connect({ socket: daemon.path, project: "p1" });
  const cases: [string, QueryOptions, string][] = [
    ["/1.0/a?b?project=other", {}, 'a second "?"'],
    ["/1.0/operations?project=x", { project: "y" }, "differs from options.project"],
    ["/1.0/operations?project=x&project=y", {}, '"project" given 2 times'],
    ["/1.0/operations?recursion=1", { query: { recursion: "0" } }, "both in the path"],
  ];
  for (const [path, options, why] of cases) {
    const error = await assertRejects(() => client.query(path, options), InvalidArgumentError);
    assertStringIncludes(error.message, why, path);
  }
  assertEquals(daemon.requests.length, 0, "nothing was sent");
});

/** A daemon that reads every request and never answers a POST (GETs get a 404). */
function stallingPosts() {
  return misbehaving(async (conn) => {
    for (;;) {
      const buffer = new Uint8Array(65536);
      const n = await conn.read(buffer);
      if (n === null) return;
      if (new TextDecoder().decode(buffer.subarray(0, n)).startsWith("POST")) {
        await new Promise<void>((resolve) => {
          // Held until the client gives up (its side closes).
          conn.read(new Uint8Array(1)).then(() => resolve(), () => resolve());
        });
        return;
      }
      const body = JSON.stringify({ type: "error", error: "not found", error_code: 404 });
      await write(conn, head(404, body.length) + body);
    }
  });
}

Deno.test("8.31 timeout bounds the whole query({ wait }) and execRecorded when the POST stalls", async () => {
  await using daemon = stallingPosts();
  await using client = connect({ socket: daemon.path, retry: false });
  const body = { command: ["true"], "wait-for-websocket": false };
  const calls: [string, () => Promise<unknown>][] = [
    [
      "query",
      () =>
        client.query("/1.0/instances/c1/exec", { method: "POST", body, wait: true, timeout: 300 }),
    ],
    ["execRecorded", () => client.execRecorded("c1", ["true"], { timeout: 300 })],
  ];
  for (const [label, call] of calls) {
    // The default requestTimeout (60 s) is what used to bound it.
    const error = await within(10_000, outcome(call())) as ResponseTimeoutError;
    assertInstanceOf(error, ResponseTimeoutError, label);
    assertStringIncludes(error.message, "300 ms", label);
    assertEquals(error.method, "POST", label);
  }
});

Deno.test("8.32 secrets: a failed wait's .operation and a ?secret= on a dead socket never show them", async () => {
  await using daemon = await FakeDaemon.start();
  await using client = connect({ socket: daemon.path });
  const op = daemon.createOperation({
    metadata: { fds: { "0": SECRET, control: SECRET } },
    durationMs: 20,
    outcome: "Failure",
    err: "Command not found",
  });
  const failed = await assertRejects(() => client.operations.wait(op.id), OperationFailedError);
  for (const text of renderings(failed)) assert(!text.includes(SECRET), `secret leaked: ${text}`);
  assertEquals(
    (failed.operation as { metadata: { fds: unknown } }).metadata.fds,
    { "0": "***", control: "***" },
  );
  // A socket that answers nothing: the connection error names the path, not the query.
  const dir = await Deno.makeTempDir({ prefix: "incusops-dead-" });
  try {
    const listener = Deno.listen({ transport: "unix", path: `${dir}/unix.socket` });
    listener.close();
    await using dead = connect({ socket: `${dir}/unix.socket`, retry: false });
    const error = await assertRejects(
      () => dead.query(`/1.0/operations/${op.id}/websocket?secret=${SECRET}`),
      ConnectionError,
    );
    assertStringIncludes(error.message, `${dir}/unix.socket`);
    for (const text of renderings(error)) assert(!text.includes(SECRET), `secret leaked: ${text}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
