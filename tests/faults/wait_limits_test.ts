/**
 * A wait's time limit wins: on a daemon that never answers, the whole wait,
 * its read of the last state included, ends at the timeout; on a cluster
 * whose member is down, the timeout names the member and how long it has
 * been silent. Every time here is a manual clock's.
 */

import { assertEquals, assertInstanceOf, assertStringIncludes } from "@std/assert";
import { connect, OperationTimeoutError } from "../../mod.ts";
import { FakeDaemon } from "../../src/testing/mod.ts";
import { ManualClock, onClock } from "../_clock.ts";
import { misbehaving, readHead } from "./_misbehaving.ts";

const ID = "9a8b7c6d-1234-4abc-9def-0123456789ab";

for (const events of [true, false]) {
  Deno.test(`8.60 wait (events ${events}) on a silent daemon: a 1 s timeout ends at 1 s, last read included`, async () => {
    await using server = misbehaving(async (conn) => {
      // Never answers: reads until the client goes away.
      while (await readHead(conn));
    });
    const clock = new ManualClock();
    await using client = connect({ socket: server.path, events, ...onClock(clock) });
    const { at, error } = await clock.run(client.operations.wait(ID, { timeout: 1_000 }), 50);
    assertInstanceOf(error, OperationTimeoutError);
    assertEquals(at, 1_000, "the wait outlived its timeout");
  });
}

const error = (code: number, message: string) =>
  Response.json({ type: "error", error: message, error_code: code, metadata: null }, {
    status: code,
  });
const sync = (metadata: unknown) =>
  Response.json({ type: "sync", status: "Success", status_code: 200, metadata });

Deno.test("8.61 wait on a cluster member that is down: the timeout names it and its silence", async () => {
  await using daemon = await FakeDaemon.start();
  const op = daemon.createOperation();
  // m2, which runs the operation, is down: what Incus 6.0.4 answers then.
  daemon.interceptor = (_request, url) => {
    const target = url.searchParams.get("target");
    if (url.pathname === "/1.0" && target === "m2") return error(500, "Server isn't ready yet");
    if (url.pathname === "/1.0" && target === null) {
      return sync({ api_extensions: [], environment: { server_clustered: true } });
    }
    if (url.pathname === "/1.0/cluster/members") {
      return sync([
        { server_name: "m1", url: "https://10.0.0.1:8443", status: "Online" },
        { server_name: "m2", url: "https://10.0.0.2:8443", status: "Online" },
      ]);
    }
    if (url.pathname.startsWith(`/1.0/operations/${op.id}`)) {
      return error(500, "Unable to connect to: 10.0.0.2:8443: connection refused");
    }
    return undefined;
  };
  const clock = new ManualClock();
  await using client = connect({
    socket: daemon.path,
    events: false,
    retry: false,
    ...onClock(clock),
  });
  const { error: reason } = await clock.run(client.operations.wait(op.id, { timeout: 5_000 }), 100);
  assertInstanceOf(reason, OperationTimeoutError);
  assertStringIncludes(
    (reason as Error).message,
    `operation ${op.id} did not finish within 5000 ms`,
  );
  assertStringIncludes(
    (reason as Error).message,
    "m2 (https://10.0.0.2:8443) has not answered for 5 s",
  );
});
