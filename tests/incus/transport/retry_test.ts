/** The Incus client's retry policy: GETs and waits retried on transient errors, nothing else. */

import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { connect, IncusError, InvalidArgumentError } from "../../../mod.ts";
import type { FakeDaemon } from "../../../src/testing/mod.ts";
import { isTransient } from "../../../src/incus/transport/transient.ts";
import { ConnectionError, ProtocolError, ResponseTimeoutError } from "../../../src/core/errors.ts";
import { fake } from "../../_fake.ts";

const FAST = { initial: 1, max: 5, jitter: false };

/** Answers `status` to the first `count` requests matching `method`, then passes. */
function burst(daemon: FakeDaemon, method: string, status: number, count: number) {
  let left = count;
  daemon.interceptor = (request) => {
    if (request.method !== method || left <= 0) return undefined;
    left--;
    return Promise.resolve(
      Response.json({ type: "error", error: "busy", error_code: status }, { status }),
    );
  };
}

Deno.test("GET, list and wait are retried through 502/503/504 bursts", async () => {
  await using t = await fake({ client: { retry: FAST } });
  const { daemon, client } = t;
  const op = daemon.createOperation({ description: "x" });
  for (const status of [502, 503, 504]) {
    burst(daemon, "GET", status, 3);
    const before = daemon.requests.length;
    assertEquals((await client.operations.get(op.id)).id, op.id);
    assertEquals(daemon.requests.length - before, 4, "3 refused + 1 answered");
  }
  burst(daemon, "GET", 503, 2);
  assertEquals((await client.operations.list()).length, 1);
  daemon.finish(op.id, { status: "Success" });
  burst(daemon, "GET", 503, 2);
  assertEquals((await client.operations.wait(op.id)).status, "Success");
});

Deno.test("DELETE (cancel) is never retried; retry:false and maxAttempts are honoured", async () => {
  await using t = await fake({ client: { retry: FAST } });
  const { daemon, client } = t;
  const op = daemon.createOperation({ description: "x", mayCancel: true });
  burst(daemon, "DELETE", 503, 1);
  const before = daemon.requests.length;
  const error = await assertRejects(() => client.operations.cancel(op.id), IncusError);
  assertEquals([error.status, daemon.requests.length - before], [503, 1]);
  burst(daemon, "GET", 503, 5);
  const once = daemon.requests.length;
  await assertRejects(() => client.operations.get(op.id, { retry: false }), IncusError);
  assertEquals(daemon.requests.length - once, 1);
  const three = daemon.requests.length;
  await assertRejects(() => client.operations.get(op.id, { retry: { maxAttempts: 3 } }));
  assertEquals(daemon.requests.length - three, 3);
  await using off = connect({ socket: daemon.path, retry: false });
  burst(daemon, "GET", 503, 1);
  await assertRejects(() => off.operations.get(op.id), IncusError);
  burst(daemon, "GET", 503, 1);
  assertEquals((await off.operations.get(op.id, { retry: FAST })).id, op.id, "call re-enables");
});

Deno.test("a bad retry policy throws before anything is sent", async () => {
  await using t = await fake();
  const { daemon, client } = t;
  assertThrows(
    () => connect({ socket: daemon.path, retry: { multiplier: 0.5 } }),
    InvalidArgumentError,
  );
  const before = daemon.requests.length;
  await assertRejects(
    () => client.operations.get(crypto.randomUUID(), { retry: { initial: -1 } }),
    InvalidArgumentError,
  );
  assertEquals(daemon.requests.length, before);
});

Deno.test("isTransient: 5xx gateways yes; refused/reset/missing only after answers; timeouts no", () => {
  const init = { status: 0, method: "GET", path: "/1.0", endpoint: "/s" };
  const failed = (text: string) =>
    new ConnectionError("x", {
      ...init,
      cause: new TypeError("fetch failed", { cause: new Error(text) }),
    });
  assertEquals(
    isTransient(failed("client error (Connect): Connection refused (os error 111)"), true),
    true,
  );
  assertEquals(isTransient(failed("Connection refused (os error 111)"), false), false);
  assertEquals(isTransient(failed("connection reset (os error 104)"), true), true);
  assertEquals(isTransient(failed("No such file or directory (os error 2)"), false), false);
  assertEquals(isTransient(failed("No such file or directory (os error 2)"), true), true);
  assertEquals(isTransient(failed("Permission denied (os error 13)"), true), false);
  assertEquals(isTransient(new ResponseTimeoutError("t", init), true), false);
  assertEquals(
    isTransient(new ProtocolError("p", { ...init, cause: new Error("os error 111") }), true),
    false,
  );
  assertEquals(isTransient(new IncusError("busy", { ...init, status: 503 }), false), true);
  assertEquals(isTransient(new IncusError("nope", { ...init, status: 500 }), false), false);
  assertEquals(isTransient(new Error("os error 111"), true), false);
});

Deno.test("query: GETs are retried, writes are not", async () => {
  await using t = await fake({ client: { retry: FAST } });
  const { daemon, client } = t;
  burst(daemon, "GET", 503, 2);
  const before = daemon.requests.length;
  assertEquals((await client.query<{ api_version: string }>("/1.0")).api_version, "1.0");
  assertEquals(daemon.requests.length - before, 3);
  burst(daemon, "POST", 503, 1);
  const posted = daemon.requests.length;
  await assertRejects(
    () => client.query("/1.0/instances/c1/exec", { method: "POST", body: { command: ["true"] } }),
    IncusError,
  );
  assertEquals(daemon.requests.length - posted, 1);
});
