/**
 * The operations API against the real daemons: the same code runs once per
 * daemon (Incus 6 and LXD 5), on operations they really run.
 */

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertMatch,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import {
  connect,
  IncusError,
  IncusOpsError,
  InvalidArgumentError,
  isFinal,
  NotCancellableError,
  type Operation,
  OperationCancelledError,
  OperationFailedError,
  OperationNotFoundError,
  OperationTimeoutError,
  ProtocolError,
  StatusCode,
} from "../../mod.ts";
import {
  connectTo,
  createInstance,
  DAEMONS,
  startExec,
  startSleep,
  uniqueName,
  withMigratable,
} from "./_daemons.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `curl --unix-socket` as an independent witness of what the daemon serves. */
async function curl(socket: string, path: string): Promise<Record<string, unknown>> {
  const { code, stdout, stderr } = await new Deno.Command("curl", {
    args: ["-sS", "--unix-socket", socket, `http://127.0.0.1${path}`],
  }).output();
  assertEquals(code, 0, new TextDecoder().decode(stderr));
  return JSON.parse(new TextDecoder().decode(stdout));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** An RFC 3339 time in nanoseconds since the epoch (Go trims the fraction's trailing zeros). */
function nanoseconds(time: string): bigint {
  const fraction = /\.(\d+)/.exec(time)?.[1] ?? "";
  return BigInt(Date.parse(time)) * 1_000_000n + BigInt(fraction.slice(3, 9).padEnd(6, "0"));
}

for (const daemon of DAEMONS) {
  const name = daemon.name;

  Deno.test(`${name}: operations started together are listed oldest first to the nanosecond`, async () => {
    await using client = connectTo(daemon);
    // Started at once, some may share a millisecond: the order must still follow created_at.
    const started = await Promise.all(
      Array.from({ length: 8 }, () => startSleep(client, daemon, 2)),
    );
    const ops = await client.operations.list();
    for (const op of started) assert(ops.some((listed) => listed.id === op.id), op.id);
    for (let i = 1; i < ops.length; i++) {
      assert(
        nanoseconds(ops[i - 1].created_at) <= nanoseconds(ops[i].created_at),
        `${ops[i - 1].created_at} listed before ${ops[i].created_at}`,
      );
    }
    await Promise.all(started.map((op) => client.operations.wait(op.id, { timeout: 30_000 })));
  });

  Deno.test(`${name}: list, list ids, listByStatus and get match what the daemon serves`, async () => {
    await using client = connectTo(daemon);
    const op = await startSleep(client, daemon, 3);
    assertMatch(op.id, UUID);
    assertEquals(op.status, "Running");

    const ops = await client.operations.list();
    const mine = ops.find((o) => o.id === op.id);
    if (mine === undefined) throw new Error("the running exec is not listed");
    assertEquals(mine.status_code, StatusCode.Running);
    assertEquals(mine.class, "task");
    assertEquals(mine.may_cancel, false);
    assertStringIncludes(mine.resources?.instances?.[0] ?? "", `/1.0/instances/${daemon.instance}`);
    for (let i = 1; i < ops.length; i++) {
      assert(Date.parse(ops[i - 1].created_at) <= Date.parse(ops[i].created_at), "oldest first");
    }

    const ids = await client.operations.list({ recursion: 0 });
    assert(ids.includes(op.id));
    for (const id of ids) assertMatch(id, UUID);

    const groups = await client.operations.listByStatus();
    assert(groups.running.some((o) => o.id === op.id));
    assertEquals(groups.success.filter((o) => o.id === op.id), []);

    const got = await client.operations.get(op.id);
    const witness = await curl(daemon.socket, `/1.0/operations/${op.id}`);
    assertEquals(witness.type, "sync");
    const served = witness.metadata as Operation;
    assertEquals(
      { ...got, updated_at: "", metadata: null },
      { ...served, updated_at: "", metadata: null },
    );
    const rawList = await curl(daemon.socket, "/1.0/operations");
    const running = (rawList.metadata as Record<string, string[]>).running ?? [];
    assert(running.some((url) => url.endsWith(op.id)), "the daemon groups by lower-case status");
    await client.operations.wait(op.id);
  });

  // Every wait behaviour, on the shared events connection and on /wait long-polls.
  for (const mode of ["events", "/wait"] as const) {
    Deno.test(`${name} (${mode}): wait resolves Success with the exec's return code`, async () => {
      await using client = connectTo(daemon, undefined, { events: mode === "events" });
      const op = await startSleep(client, daemon, 1);
      const final = await client.operations.wait(op.id, { timeout: 30_000 });
      assertEquals(final.status, "Success");
      assertEquals(final.status_code, StatusCode.Success);
      assertEquals(final.metadata?.return, 0);
      assert(isFinal(final));
    });

    Deno.test(`${name} (${mode}): a command that exits non-zero succeeds with its return code`, async () => {
      await using client = connectTo(daemon, undefined, { events: mode === "events" });
      const op = await startExec(client, daemon, ["sh", "-c", "exit 3"]);
      const final = await client.operations.wait(op.id, { timeout: 30_000 });
      assertEquals(final.metadata?.return, 3);
    });

    Deno.test(`${name} (${mode}): wait on a failing operation rejects OperationFailedError with the server's err`, async () => {
      await using client = connectTo(daemon, undefined, { events: mode === "events" });
      const op = await startExec(client, daemon, ["/no/such/command"]);
      const error = await assertRejects(
        () => client.operations.wait(op.id, { timeout: 30_000 }),
        OperationFailedError,
      );
      assertEquals(error.id, op.id);
      assert(error.err.length > 0, "the server's err is carried");
      assertEquals(error.operationStatusCode, StatusCode.Failure);
      // The request that read the final state, never a /wait that was not sent.
      assertEquals(error.method, "GET");
      if (mode === "events") {
        assert(
          [`/1.0/operations/${op.id}`, "/1.0/operations", "/1.0/events"].includes(error.path),
          error.path,
        );
        assertEquals(error.status, error.path === "/1.0/events" ? 0 : 200);
      } else {
        // Incus answers a failed operation's /wait with an error (its err): the
        // client reads it back. LXD answers 200 with the failed operation.
        const expected = name === "incus"
          ? `/1.0/operations/${op.id}`
          : `/1.0/operations/${op.id}/wait`;
        assertEquals([error.path, error.status], [expected, 200]);
      }
      const witness = await curl(daemon.socket, `/1.0/operations/${op.id}`);
      const served = witness.metadata as Operation | null;
      if (served !== null && witness.type === "sync") {
        assertEquals(served.status, "Failure");
        assertEquals(error.err, served.err);
      }
    });

    Deno.test(`${name} (${mode}): timeout shorter than the op rejects OperationTimeoutError with the running state; the op keeps running`, async () => {
      await using client = connectTo(daemon, undefined, { events: mode === "events" });
      const op = await startSleep(client, daemon, 3);
      const started = performance.now();
      const error = await assertRejects(
        () => client.operations.wait(op, { timeout: 700 }),
        OperationTimeoutError,
      );
      assertEquals(error.name, "TimeoutError");
      assertInstanceOf(error, IncusOpsError);
      assertEquals([error.id, error.timeout, error.status], [op.id, 700, 0]);
      // Incus's /wait slice that ran out answers an error body, LXD's 200 and
      // the running operation: either way the error carries the state seen.
      const last = error.operation as Operation | undefined;
      assertEquals(last?.status, "Running");
      assertEquals(last?.id, op.id);
      assert(performance.now() - started < 2_500, "the deadline won over the server's slice");
      assertEquals((await client.operations.get(op.id)).status, "Running");
      assertEquals((await client.operations.wait(op.id)).status, "Success");
    });

    Deno.test(`${name} (${mode}): an AbortSignal aborts a wait at once, the operation runs on`, async () => {
      await using client = connectTo(daemon, undefined, { events: mode === "events" });
      const op = await startSleep(client, daemon, 2);
      const controller = new AbortController();
      const waiting = client.operations.wait(op.id, { signal: controller.signal });
      await sleep(200); // the wait under way (an events subscription or a /wait in flight)
      const reason = new Error("operator gave up");
      controller.abort(reason);
      assertEquals(await waiting.catch((e) => e), reason);
      // At once: the 2 s operation is still running, so the wait did not sit it out.
      assertEquals((await client.operations.get(op.id)).status, "Running");
      await client.operations.wait(op.id);
    });
  }

  Deno.test(`${name}: the daemon's own answer to a /wait slice that runs out is handled`, async () => {
    await using client = connectTo(daemon);
    const op = await startSleep(client, daemon, 3);
    // What the daemon itself answers to a 1 s slice of a 3 s operation.
    const raw = await curl(daemon.socket, `/1.0/operations/${op.id}/wait?timeout=1`);
    if (name === "incus") {
      assertEquals(raw.type, "error");
      assertMatch(String(raw.error), /deadline exceeded/i);
    } else {
      assertEquals(raw.type, "sync");
      assertEquals((raw.metadata as Operation).status, "Running");
    }
    // The client, with 1 s slices, rides over those answers to the end.
    await using sliced = connect({ socket: daemon.socket, waitSliceMs: 1_000, events: false });
    assertEquals((await sliced.operations.wait(op.id)).status, "Success");
  });

  Deno.test(`${name}: finished 1 s ago resolves; finished more than 6 s ago is OperationNotFoundError`, async () => {
    await using client = connectTo(daemon);
    const op = await startExec(client, daemon, ["true"]);
    await sleep(1_000);
    assertEquals((await client.operations.wait(op.id)).status, "Success");
    await sleep(6_500);
    const error = await assertRejects(() => client.operations.wait(op.id), OperationNotFoundError);
    assertEquals(error.status, 404);
    assertStringIncludes(error.message, op.id);
    await assertRejects(() => client.operations.get(op.id), OperationNotFoundError);
  });

  Deno.test(`${name}: cancel of a non-cancellable op rejects NotCancellableError`, async () => {
    await using client = connectTo(daemon);
    const op = await startSleep(client, daemon, 2);
    assertEquals(op.may_cancel, false);
    const error = await assertRejects(() => client.operations.cancel(op.id), NotCancellableError);
    assertEquals(error.status, 400);
    await assertRejects(() => client.operations.delete(op.id), NotCancellableError);
    assertEquals((await client.operations.wait(op.id)).status, "Success");
    await assertRejects(
      () => client.operations.cancel("00000000-0000-4000-8000-000000000000"),
      OperationNotFoundError,
    );
  });

  Deno.test(`${name}: one operation is served whatever project is asked (ids are global)`, async () => {
    await using client = connectTo(daemon);
    const op = await startSleep(client, daemon, 2);
    const absent = { project: uniqueName("absent") };
    assertEquals((await client.operations.get(op.id, absent)).id, op.id);
    assertEquals((await client.query<Operation>(`/1.0/operations/${op.id}`, absent)).id, op.id);
    await assertRejects(() => client.operations.cancel(op.id, absent), NotCancellableError);
    const final = await client.operations.wait(op.id, { ...absent, timeout: 30_000 });
    assertEquals(final.status, "Success");
  });

  Deno.test(`${name}: cancel ends a cancellable operation (migration source) as Cancelled`, async () => {
    await using client = connectTo(daemon);
    await withMigratable(client, daemon, async (startMigration) => {
      // A migration source waits for a target to connect; it may be cancelled.
      const op = await startMigration();
      assertEquals([op.class, op.may_cancel, op.status], ["websocket", true, "Running"]);
      const waiting = client.operations.wait(op.id, { timeout: 30_000 });
      await client.operations.cancel(op.id);
      const error = await assertRejects(() => waiting, OperationCancelledError);
      assertEquals(error.operation?.status, "Cancelled");
      assertEquals(error.operation?.status_code, StatusCode.Cancelled);
    });
  });

  Deno.test(`${name}: a silent connection blocks the daemon's accept loop; the client leaves none`, async () => {
    // The daemon quirk: a client that connects and sends nothing.
    const silent = await Deno.connect({ transport: "unix", path: daemon.socket });
    const blocked = await new Deno.Command("curl", {
      args: ["-s", "--max-time", "1", "--unix-socket", daemon.socket, "http://127.0.0.1/1.0"],
      stdout: "null",
    }).output();
    silent.close();
    // Both daemons read the first bytes of each new Unix connection inside
    // their accept loop: until the silent one speaks, nobody else gets in.
    assertEquals(blocked.code, 28, `curl exit code ${blocked.code}: the daemon answered`);

    // Concurrent calls make Deno's pool open spare connections; they must not
    // stay idle long enough to block the daemon.
    await using client = connectTo(daemon);
    await Promise.all(Array.from({ length: 16 }, () => client.operations.list({ recursion: 0 })));
    await sleep(500);
    const after = await new Deno.Command("curl", {
      args: ["-s", "--max-time", "2", "--unix-socket", daemon.socket, "http://127.0.0.1/1.0"],
      stdout: "null",
    }).output();
    assertEquals(after.code, 0, "the daemon still accepts connections");
  });

  Deno.test(`${name}: a chunked list is read under the cap, whole, and refused past it`, async () => {
    await using client = connectTo(daemon);
    const ops = await Promise.all(Array.from({ length: 16 }, () => startSleep(client, daemon, 3)));
    // The daemon sends this list chunked (no content-length): the capped, piecewise read.
    using bare = Deno.createHttpClient({ proxy: { transport: "unix", path: daemon.socket } });
    const raw = await fetch("http://127.0.0.1/1.0/operations?recursion=1", { client: bare });
    const size = (await raw.bytes()).length;
    assertEquals(raw.headers.get("content-length"), null, "the answer was not chunked");
    const ids = (await client.operations.list()).map((op) => op.id);
    for (const op of ops) assert(ids.includes(op.id), `${op.id} missing from the list`);
    await using uncapped = connectTo(daemon, undefined, { maxResponseBytes: Infinity });
    assertEquals((await uncapped.operations.list()).map((op) => op.id).sort(), ids.sort());
    await using tight = connectTo(daemon, undefined, { maxResponseBytes: Math.floor(size / 2) });
    const error = await assertRejects(() => tight.operations.list(), ProtocolError);
    assertStringIncludes(error.message, "maxResponseBytes");
  });

  Deno.test(`${name}: bad ids send nothing and cannot reach the container`, async () => {
    await using client = connectTo(daemon);
    const target = `../instances/${daemon.instance}`;
    for (const id of [target, `..%2Finstances%2F${daemon.instance}`, "a?b", "a#b", "", "%2e%2e"]) {
      await assertRejects(() => client.operations.get(id), InvalidArgumentError);
      await assertRejects(() => client.operations.delete(id), InvalidArgumentError);
      await assertRejects(() => client.operations.cancel(id), InvalidArgumentError);
      await assertRejects(() => client.operations.wait(id), InvalidArgumentError);
    }
    const instance = await client.query<{ name: string; status: string }>(
      `/1.0/instances/${daemon.instance}`,
    );
    assertEquals([instance.name, instance.status], [daemon.instance, "Running"]);
  });

  Deno.test(`${name}: instance lifecycle and image publishing are real operations`, async () => {
    await using client = connectTo(daemon);
    const instance = uniqueName("life");
    const created = await client.query<Operation>("/1.0/instances", {
      method: "POST",
      body: { name: instance, source: { type: "image", alias: daemon.image } },
    });
    assertMatch(created.id, UUID);
    assertEquals((await client.operations.wait(created.id, { timeout: 60_000 })).status, "Success");
    const path = `/1.0/instances/${instance}`;
    try {
      const state = (action: string) =>
        client.query<Operation>(`${path}/state`, {
          method: "PUT",
          body: { action, timeout: 10, force: true },
          wait: true,
          timeout: 60_000,
        });
      assertEquals((await state("start")).status, "Success");
      assertEquals(
        (await client.query<{ status: string }>(path)).status,
        "Running",
      );
      assertEquals((await state("stop")).status, "Success");
      const image = await client.query<Operation>("/1.0/images", {
        method: "POST",
        body: { source: { type: "instance", name: instance } },
        wait: true,
        timeout: 120_000,
      });
      assertEquals(image.status, "Success");
      const fingerprint = String(image.metadata?.fingerprint ?? "");
      assertMatch(fingerprint, /^[0-9a-f]{64}$/);
      const removed = await client.query<Operation>(`/1.0/images/${fingerprint}`, {
        method: "DELETE",
        wait: true,
      });
      assertEquals(removed.status, "Success");
    } finally {
      await client.query(path, { method: "DELETE", wait: true, timeout: 60_000 }).catch(() => {});
    }
    const gone = await assertRejects(() => client.query(path), IncusError);
    assertEquals(gone.status, 404);
  });

  Deno.test(`${name}: a failing instance start is OperationFailedError`, async () => {
    await using client = connectTo(daemon);
    const instance = uniqueName("nostart");
    // An init that does not exist: the container cannot start.
    await createInstance(client, daemon, instance, {
      config: { "raw.lxc": "lxc.init.cmd = /no/such/init" },
    });
    try {
      const error = await assertRejects(
        () =>
          client.query(`/1.0/instances/${instance}/state`, {
            method: "PUT",
            body: { action: "start", timeout: 10 },
            wait: true,
            timeout: 60_000,
          }),
        OperationFailedError,
      );
      assert(error.err.length > 0);
      assertInstanceOf(error, IncusOpsError);
    } finally {
      await client.query(`/1.0/instances/${instance}`, {
        method: "DELETE",
        wait: true,
        timeout: 60_000,
      }).catch(() => {});
    }
  });

  Deno.test(`${name}: project and allProjects scope operations`, async () => {
    await using client = connectTo(daemon);
    const project = uniqueName("p");
    await client.query("/1.0/projects", {
      method: "POST",
      body: {
        name: project,
        config: { "features.images": "false", "features.profiles": "false" },
      },
    });
    const instance = uniqueName("inp");
    try {
      await createInstance(client, daemon, instance, { project });
      await client.query(`/1.0/instances/${instance}/state`, {
        method: "PUT",
        project,
        body: { action: "start", timeout: 10 },
        wait: true,
        timeout: 60_000,
      });
      const inProject = await startSleep(client, daemon, 3, { project, instance });
      const inDefault = await startSleep(client, daemon, 3);

      const defaultIds = await client.operations.list({ recursion: 0 });
      assert(defaultIds.includes(inDefault.id));
      assert(!defaultIds.includes(inProject.id), "the default project does not see p's ops");

      const projectIds = (await client.operations.list({ project })).map((o) => o.id);
      assert(projectIds.includes(inProject.id));
      assert(!projectIds.includes(inDefault.id));

      await using scoped = connectTo(daemon, project);
      assertEquals((await scoped.operations.get(inProject.id)).id, inProject.id);

      const all = (await client.operations.list({ allProjects: true })).map((o) => o.id);
      assert(all.includes(inProject.id) && all.includes(inDefault.id));

      await client.operations.wait(inProject.id, { project });
      await client.operations.wait(inDefault.id);
    } finally {
      await client.query(`/1.0/instances/${instance}/state`, {
        method: "PUT",
        project,
        body: { action: "stop", force: true },
        wait: true,
      }).catch(() => {});
      await client.query(`/1.0/instances/${instance}`, { method: "DELETE", project, wait: true })
        .catch(() => {});
      await client.query(`/1.0/projects/${project}`, { method: "DELETE" }).catch(() => {});
    }
  });
}
