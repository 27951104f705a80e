import { assert, assertEquals, assertInstanceOf, assertRejects } from "@std/assert";
import {
  acrossFleet,
  ConnectionError,
  InvalidArgumentError,
  listFleet,
  MemberUnreachableError,
} from "../../mod.ts";
import { FakeDaemon } from "../../src/testing/mod.ts";
import { ManualClock, onClock } from "../_clock.ts";
import { misbehaving, readHead } from "../faults/_misbehaving.ts";

async function fakes(count: number): Promise<FakeDaemon[]> {
  return await Promise.all(Array.from({ length: count }, () => FakeDaemon.start()));
}

Deno.test("fleet: every remote's outcome in order; one down never hides the others", async () => {
  const daemons = await fakes(2);
  try {
    daemons[0].createOperation();
    daemons[1].createOperation();
    daemons[1].createOperation();
    const fleet = await listFleet([
      { name: "a", socket: daemons[0].path },
      { name: "down", socket: "/nonexistent/incusops/unix.socket" },
      { name: "b", socket: daemons[1].path },
    ]);
    assertEquals(fleet.outcomes.map((o) => [o.remote, o.ok]), [
      ["a", true],
      ["down", false],
      ["b", true],
    ]);
    const down = fleet.outcomes[1];
    assertInstanceOf(down.ok ? undefined : down.error, ConnectionError);
    assertEquals(fleet.operations.map((op) => op.remote), ["a", "b", "b"]);
    assertEquals(fleet.missing, ["down"]);
  } finally {
    for (const daemon of daemons) await daemon.close();
  }
});

Deno.test("fleet: at most `concurrency` remotes at once", async () => {
  const daemons = await fakes(5);
  try {
    let running = 0;
    let most = 0;
    const outcomes = await acrossFleet(
      daemons.map((daemon, i) => ({ name: `r${i}`, socket: daemon.path })),
      async (client) => {
        most = Math.max(most, ++running);
        try {
          return await client.operations.list({}, (ops) => ops.length);
        } finally {
          running--;
        }
      },
      { concurrency: 2 },
    );
    assertEquals(outcomes.map((o) => o.ok && o.value), [0, 0, 0, 0, 0]);
    assertEquals(most, 2);
  } finally {
    for (const daemon of daemons) await daemon.close();
  }
});

Deno.test("fleet: a remote past `timeout` is its own TimeoutError, even when its call ignores the signal", async () => {
  const [daemon] = await fakes(1);
  try {
    const started: string[] = [];
    // "slow" never settles and never looks at its signal.
    const ignoring = (_: unknown, remote: string) => {
      started.push(remote);
      return remote === "slow" ? new Promise<number>(() => {}) : Promise.resolve(1);
    };
    const targets = [{ name: "slow", socket: daemon.path }, { name: "fast", socket: daemon.path }];
    const clock = new ManualClock();
    const options = { timeout: 5_000, concurrency: 1, connect: onClock(clock) };
    const { at, value } = await clock.run(acrossFleet(targets, ignoring, options), 500);
    assertEquals(at, 5_000);
    const [slow, fast] = value!;
    assert(!slow.ok && (slow.error as Error).name === "TimeoutError", String(slow));
    assertEquals(fast, { remote: "fast", ok: true, value: 1 });
    assertEquals(started, ["slow", "fast"], "the next remote started after the time limit");
    const controller = new AbortController();
    const call = acrossFleet(targets, ignoring, { signal: controller.signal });
    controller.abort(new Error("stop"));
    await assertRejects(() => call, Error, "stop");
  } finally {
    await daemon.close();
  }
});

Deno.test("listFleet: a stalled remote is missing after the per-remote limit (30 s by default)", async () => {
  await using silent = misbehaving(async (conn) => {
    while (await readHead(conn)); // never answers
  });
  const [daemon] = await fakes(1);
  try {
    daemon.createOperation();
    const clock = new ManualClock();
    const targets = [{ name: "stalled", socket: silent.path }, { name: "ok", socket: daemon.path }];
    const listing = listFleet(targets, { concurrency: 1, connect: onClock(clock) });
    const { at, value } = await clock.run(listing, 1_000);
    assertEquals(at, 30_000);
    assertEquals(value!.missing, ["stalled"]);
    assertEquals(value!.operations.map((op) => op.remote), ["ok"]);
  } finally {
    await daemon.close();
  }
});

Deno.test("fleet: bad arguments are refused before anything is sent", async () => {
  const call = () => Promise.resolve(0);
  await assertRejects(() => acrossFleet("a" as never, call), InvalidArgumentError);
  await assertRejects(() => acrossFleet([""], call), InvalidArgumentError);
  await assertRejects(() => acrossFleet(["a"], call, { concurrency: 0 }), InvalidArgumentError);
  await assertRejects(() => acrossFleet(["a"], call, { timeout: -1 }), InvalidArgumentError);
});

Deno.test("MemberUnreachableError: a ConnectionError naming the members; ids default to the operations'", () => {
  const error = new MemberUnreachableError("m3 is unreachable", {
    members: [{ name: "m3", address: "https://10.0.0.3:8443" }],
    status: 200,
    method: "GET",
    path: "/1.0/operations",
  });
  assertInstanceOf(error, ConnectionError);
  assertEquals(error.name, "MemberUnreachableError");
  assertEquals(error.endpoint, "https://10.0.0.3:8443");
  assertEquals([error.operations, error.ids, error.operationId], [[], [], undefined]);
});
