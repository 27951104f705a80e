import { assert, assertEquals, assertInstanceOf, assertRejects } from "@std/assert";
import {
  acrossFleet,
  ConnectionError,
  InvalidArgumentError,
  listFleet,
  MemberUnreachableError,
} from "../../mod.ts";
import { FakeDaemon } from "../../src/testing/mod.ts";

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

Deno.test("fleet: a remote past `timeout` is its own TimeoutError; the signal rejects the call", async () => {
  const [daemon] = await fakes(1);
  try {
    const never = (_: unknown, remote: string, signal: AbortSignal) =>
      remote === "slow"
        ? new Promise<number>((_, reject) =>
          signal.addEventListener("abort", () => reject(signal.reason))
        )
        : Promise.resolve(1);
    const targets = [{ name: "slow", socket: daemon.path }, { name: "fast", socket: daemon.path }];
    const outcomes = await acrossFleet(targets, never, { timeout: 50 });
    assert(!outcomes[0].ok && (outcomes[0].error as Error).name === "TimeoutError");
    assertEquals(outcomes[1], { remote: "fast", ok: true, value: 1 });
    const controller = new AbortController();
    const call = acrossFleet(targets, never, { signal: controller.signal });
    controller.abort(new Error("stop"));
    await assertRejects(() => call, Error, "stop");
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
