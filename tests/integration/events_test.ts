/**
 * The events stream and event-driven waiting (watch, waitAll/waitAny,
 * onProgress, one shared socket) against both real daemons.
 */

import { assert, assertEquals, assertRejects } from "@std/assert";
import { connect, type Operation, OperationFailedError, type Progress } from "../../mod.ts";
import { connectTo, DAEMONS, startExec, startSleep, uniqueName } from "./_daemons.ts";
import { openSockets } from "../_process.ts";
import { eventLosingProxy } from "../faults/_misbehaving.ts";

for (const daemon of DAEMONS) {
  const name = daemon.name;

  Deno.test(`${name}: events() streams an exec's operation events, typed`, async () => {
    await using client = connectTo(daemon);
    const controller = new AbortController();
    const stream = client.events({ types: ["operation"], signal: controller.signal });
    await stream.opened;
    const op = await startSleep(client, daemon, 0.2);
    const states: string[] = [];
    for await (const event of stream) {
      const seen = event.metadata as Operation;
      if (seen.id !== op.id) continue;
      assertEquals(event.type, "operation");
      assertEquals(event.project, "default");
      assert(!Number.isNaN(Date.parse(event.timestamp)), event.timestamp);
      states.push(seen.status);
      if (seen.status === "Success") controller.abort();
    }
    // The daemons may send a stale "Running" after "Success"; the abort drops it.
    assertEquals(states.at(-1), "Success");
    assert(states.includes("Running"), states.join());
  });

  Deno.test(`${name}: 30 concurrent waits of different lengths share one events socket`, async () => {
    await using client = connectTo(daemon);
    const ops = await Promise.all(
      Array.from({ length: 30 }, (_, i) => startSleep(client, daemon, 1 + (i % 6) * 0.3)),
    );
    // The 30 POSTs opened pooled connections; idle ones close after 200 ms.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const before = openSockets();
    let during = 0;
    const sampling = setInterval(() => during = Math.max(during, openSockets()), 20);
    try {
      const finals = await client.operations.waitAll(ops.map((op) => op.id), { timeout: 30_000 });
      assertEquals(finals.map((op) => op.status), ops.map(() => "Success"));
    } finally {
      clearInterval(sampling);
    }
    assert(during - before <= 3, `sockets went from ${before} to ${during} for 30 waits`);
  });

  Deno.test(`${name}: watch follows a real operation to its final state`, async () => {
    await using client = connectTo(daemon);
    const op = await startSleep(client, daemon, 0.5);
    const states: string[] = [];
    for await (const state of client.operations.watch(op.id)) states.push(state.status);
    assertEquals(states[0], "Running");
    assertEquals(states.at(-1), "Success");
  });

  Deno.test(`${name}: waitAny resolves with the first; waitAll rejects on a real failure`, async () => {
    await using client = connectTo(daemon);
    const slow = await startSleep(client, daemon, 3);
    const fast = await startSleep(client, daemon, 0.2);
    const first = await client.operations.waitAny([slow.id, fast.id], { timeout: 20_000 });
    assertEquals(first.id, fast.id);
    const failing = await startExec(client, daemon, ["/no/such/command"]);
    await assertRejects(
      () => client.operations.waitAll([slow.id, failing.id], { timeout: 20_000 }),
      OperationFailedError,
    );
    assertEquals((await client.operations.get(slow.id)).status, "Running", "the rest run on");
    await client.operations.wait(slow.id);
  });

  Deno.test(`${name}: onProgress reports the daemon's progress while an instance is created`, async () => {
    await using client = connectTo(daemon);
    const instance = uniqueName("prog");
    const seen: Progress[] = [];
    const op = await client.query<Operation>("/1.0/instances", {
      method: "POST",
      body: { name: instance, source: { type: "image", alias: daemon.image } },
    });
    try {
      await client.operations.wait(op.id, {
        timeout: 60_000,
        onProgress: (progress) => seen.push(progress),
      });
      assert(seen.length > 0, "progress was reported");
      assertEquals(seen[0].stage, "create_instance_from_image_unpack");
      assert(seen.some((p) => p.percent === 100), JSON.stringify(seen.at(-1)));
      assert(seen.every((p) => p.speed === undefined || p.speed > 0));
    } finally {
      await client.query(`/1.0/instances/${instance}`, {
        method: "DELETE",
        wait: true,
        timeout: 60_000,
      });
    }
  });
}

for (const daemon of DAEMONS) {
  Deno.test(`${daemon.name}: final events lost in transit: the resync sweep resolves the waits`, async () => {
    await using proxy = eventLosingProxy(daemon.socket);
    // The daemon keeps a finished operation ~5 s; without the sweep these
    // waits would sit until the 60 s silence watchdog, then find nothing.
    await using client = connect({
      socket: proxy.path,
      events: { resyncMs: 1_000, silenceMs: 60_000 },
    });
    const ops = await Promise.all(
      Array.from({ length: 5 }, (_, i) => startSleep(client, daemon, 0.5 + i * 0.3)),
    );
    const started = performance.now();
    const finals = await client.operations.waitAll(ops.map((op) => op.id), { timeout: 20_000 });
    assertEquals(finals.map((op) => op.status), ops.map(() => "Success"));
    // Resolved by reads (within resyncMs of the end): the events never arrived.
    assert(proxy.dropped > 0, "the proxy dropped no event: the test proves nothing");
    assert(performance.now() - started < 15_000);
  });
}
