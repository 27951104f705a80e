/**
 * Fault matrix, server misbehaviour 12b, 13, 14 on the fake daemon: the
 * events socket dropped for good, silent or losing every event (and the close
 * reply) in transit, and 502/503 bursts on GET (retried) and on POST (not
 * retried). 10 and 12 are proved by the unit tests the README matrix names.
 */

import { assert, assertEquals, assertLess, assertRejects } from "@std/assert";
import { connect, IncusError } from "../../mod.ts";
import { eventLosingProxy } from "./_misbehaving.ts";
import { fake, until } from "../_fake.ts";

Deno.test("8.12b events socket dropped for good: falls back to /wait, resolves", async () => {
  await using t = await fake({ client: { events: { reconnectForMs: 200 }, waitSliceMs: 1_000 } });
  const { daemon, client } = t;
  const op = daemon.createOperation({ durationMs: 800 });
  const waiting = client.operations.wait(op.id, { timeout: 10_000 });
  await until(() => daemon.eventStreams === 1);
  daemon.eventsMode = "refuse";
  daemon.dropEventStreams();
  assertEquals((await waiting).status, "Success");
  assert(daemon.requests.some((r) => r.path.endsWith("/wait")), "fell back to /wait");
});

Deno.test("8.13 events server silent: dead-connection detection, then the final state", async () => {
  await using t = await fake({ client: { events: { silenceMs: 150 } } });
  const { daemon, client } = t;
  daemon.eventsMode = "silent";
  const op = daemon.createOperation({ durationMs: 50 });
  const started = performance.now();
  assertEquals((await client.operations.wait(op.id, { timeout: 10_000 })).status, "Success");
  assertLess(performance.now() - started, 3_000);
  assert(daemon.eventStreamsOpened >= 2, "the silent connection was replaced");
});

Deno.test("8.13b events lost in transit, close reply never comes: waits resolve, close() returns", async () => {
  await using t = await fake();
  const { daemon } = t;
  await using proxy = eventLosingProxy(daemon.path, { hang: true });
  const client = connect({ socket: proxy.path, events: { resyncMs: 100, silenceMs: 60_000 } });
  const ops = Array.from({ length: 5 }, () => daemon.createOperation({ durationMs: 150 }));
  const finals = await client.operations.waitAll(ops.map((op) => op.id), { timeout: 10_000 });
  assertEquals(finals.map((op) => op.status), ops.map(() => "Success"));
  assert(proxy.dropped > 0, "no event was lost: the test proves nothing");
  // The events socket is still open; its close reply will be swallowed too.
  const events = client.events();
  await events.opened;
  const started = performance.now();
  await events.close();
  await client.close();
  const took = performance.now() - started;
  assert(took >= 1_500, `close() took ${took} ms: the proxy did not hold the close reply back`);
  assertLess(took, 6_000); // two bounded waits for a close reply
});

Deno.test("8.14 502/503 bursts: GET retried then succeeds; POST not retried", async () => {
  await using t = await fake({ client: { retry: { initial: 1, jitter: false } } });
  const { daemon, client } = t;
  const op = daemon.createOperation();
  let left = 4;
  daemon.interceptor = () => {
    if (left <= 0) return undefined;
    left--;
    const status = left % 2 ? 502 : 503;
    return Response.json({ type: "error", error: "busy", error_code: status }, { status });
  };
  const before = daemon.requests.length;
  assertEquals((await client.operations.get(op.id)).id, op.id);
  assertEquals(daemon.requests.length - before, 5);
  left = 1;
  const posted = daemon.requests.length;
  const error = await assertRejects(
    () => client.query("/1.0/instances/c1/exec", { method: "POST", body: { command: ["true"] } }),
    IncusError,
  );
  assertEquals([error.status, daemon.requests.length - posted], [503, 1]);
  left = 1;
  await assertRejects(() => client.operations.cancel(op.id), IncusError);
});
