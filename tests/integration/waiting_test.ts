/**
 * Waiting semantics against the real daemons (Incus 6 and LXD 5):
 * cancelOnAbort really cancels, waitAny / waitRace / waitAllSettled on real
 * outcomes, and every state seen without events.
 */

import { assertEquals, assertInstanceOf, assertRejects } from "@std/assert";
import {
  type Operation,
  OperationCancelledError,
  OperationFailedError,
  OperationTimeoutError,
} from "../../mod.ts";
import { connectTo, DAEMONS, startExec, startSleep, withMigratable } from "./_daemons.ts";

for (const daemon of DAEMONS) {
  const name = daemon.name;

  for (const events of [true, false]) {
    Deno.test(`${name} (events ${events}): cancelOnAbort cancels on timeout and on abort; off, it does not`, async () => {
      await using client = connectTo(daemon, undefined, { events, waitSliceMs: 1_000 });
      await withMigratable(client, daemon, async (startMigration) => {
        const timedOut = await startMigration();
        assertEquals(timedOut.may_cancel, true);
        const error = await assertRejects(
          () => client.operations.wait(timedOut, { timeout: 300, cancelOnAbort: true }),
          OperationTimeoutError,
        );
        assertEquals(error.cause, undefined, "the daemon accepted the cancel");
        await assertRejects(() => client.operations.wait(timedOut), OperationCancelledError);

        const aborted = await startMigration();
        const controller = new AbortController();
        const reason = new Error("operator gave up");
        const waiting = client.operations.wait(aborted, {
          signal: controller.signal,
          cancelOnAbort: true,
        }).catch((e) => e);
        controller.abort(reason);
        assertEquals(await waiting, reason);
        await assertRejects(() => client.operations.wait(aborted), OperationCancelledError);

        const kept = await startMigration();
        await assertRejects(
          () => client.operations.wait(kept, { timeout: 300 }),
          OperationTimeoutError,
        );
        assertEquals((await client.operations.get(kept)).status, "Running");
        await client.operations.cancel(kept);
      });
    });
  }

  Deno.test(`${name}: waitAll with cancelOnAbort cancels every operation still running at the timeout`, async () => {
    await using client = connectTo(daemon);
    await withMigratable(client, daemon, async (startMigration) => {
      const ops = [await startMigration(), await startMigration()];
      await assertRejects(
        () => client.operations.waitAll(ops, { timeout: 300, cancelOnAbort: true }),
        OperationTimeoutError,
      );
      const outcomes = await client.operations.waitAllSettled(ops, { timeout: 30_000 });
      for (const outcome of outcomes) {
        assertEquals(outcome.status, "rejected");
        assertInstanceOf((outcome as PromiseRejectedResult).reason, OperationCancelledError);
      }
    });
  });

  Deno.test(`${name}: waitAny skips a failure for the first success; waitRace takes the failure`, async () => {
    await using client = connectTo(daemon);
    const failing = await startExec(client, daemon, ["/no/such/command"]);
    const sleeping = await startSleep(client, daemon, 1);
    const first = await client.operations.waitAny([failing, sleeping], { timeout: 30_000 });
    assertEquals(first.id, sleeping.id);
    const failingAgain = await startExec(client, daemon, ["/no/such/command"]);
    const slow = await startSleep(client, daemon, 2);
    await assertRejects(
      () => client.operations.waitRace([slow, failingAgain], { timeout: 30_000 }),
      OperationFailedError,
    );
    const none = await startExec(client, daemon, ["/no/such/command"]);
    const error = await assertRejects(
      () => client.operations.waitAny([none], { timeout: 30_000 }),
      AggregateError,
    );
    assertInstanceOf(error.errors[0], OperationFailedError);
    await client.operations.wait(slow);
  });

  Deno.test(`${name}: waitAllSettled reports success, failure and timeout in order`, async () => {
    await using client = connectTo(daemon);
    const ok = await startExec(client, daemon, ["true"]);
    const bad = await startExec(client, daemon, ["/no/such/command"]);
    const slow = await startSleep(client, daemon, 3);
    const outcomes = await client.operations.waitAllSettled([ok, bad, slow], { timeout: 1_500 });
    assertEquals(outcomes.map((o) => o.status), ["fulfilled", "rejected", "rejected"]);
    assertInstanceOf((outcomes[1] as PromiseRejectedResult).reason, OperationFailedError);
    const timedOut = (outcomes[2] as PromiseRejectedResult).reason;
    assertInstanceOf(timedOut, OperationTimeoutError);
    assertEquals((timedOut.operation as Operation | undefined)?.status, "Running");
    await client.operations.wait(slow);
  });

  Deno.test(`${name} (events false): watch sees the running state and the final one`, async () => {
    await using client = connectTo(daemon, undefined, { events: false });
    const op = await startSleep(client, daemon, 1);
    const states: string[] = [];
    for await (const state of client.operations.watch(op, { pollMs: 100 })) {
      states.push(state.status);
    }
    assertEquals(states, ["Running", "Success"]);
  });
}
