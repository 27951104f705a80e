// deno-lint-ignore-file no-console -- a benchmark reports its figures on stdout
/**
 * Issue 16 benchmark, on the real daemons of tests/daemons/start.sh (run
 * inside the cluster's namespace, as with-daemons.sh does):
 *
 * 1. N waits (default 1,000) spread over the cluster's three members, all
 *    through m1's socket (one client, one events connection), beside the
 *    same N waits on the standalone Incus: completion (the operation's
 *    final `updated_at`) → resolution, p50/p99, and sockets held.
 * 2. HTTPS failover: a client on m1's URL with waits pending on m2's and
 *    m3's operations; m1's incusd is SIGKILLed; the time from the kill to
 *    the first answer from another member, and to the pending waits
 *    resolving. m1 is restarted afterwards.
 *
 * Each operation is a migration source (`POST /1.0/instances/<name>` with
 * `migration: true`): it runs, with no process behind it, until a target
 * connects (none does) or it is cancelled; all are cancelled at once when
 * every wait is in place (their waits reject with `OperationCancelledError`,
 * which carries the final state). Incus fails such an operation after ~30 s
 * without a target: creating N must take less (1,000 take a few seconds).
 * (Execs blocked on a fifo cost two processes each: ~530 of them
 * OOM-killed a member on a small VM.)
 *
 * `source $DAEMONS_ROOT/env && nsenter --net=/proc/$INCUSOPS_CLUSTER_NETNS_PID/ns/net deno run -A --import-map .ci/offline-imports.json bench/cluster_waits.ts [--waits=N]`
 *
 * @module
 */

import {
  type Client,
  connect,
  type Operation,
  OperationCancelledError,
  OperationFailedError,
} from "../mod.ts";
import { openSockets } from "../tests/_process.ts";

const option = (name: string, fallback: number): number =>
  Number(Deno.args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
const WAITS = option("waits", 1_000);
const env = (name: string): string => {
  const value = Deno.env.get(name);
  if (!value) throw new Error(`${name} is not set: source $DAEMONS_ROOT/env first`);
  return value;
};
const SOCKETS = env("INCUSOPS_CLUSTER_SOCKETS").split(",");
const URLS = env("INCUSOPS_CLUSTER_URLS").split(",");
const INSTANCES = env("INCUSOPS_CLUSTER_INSTANCES").split(",");
const MEMBERS = env("INCUSOPS_CLUSTER_MEMBERS").split(",");
const ROOT = env("INCUSOPS_CLUSTER_ROOT");

function epochMs(text: string): number {
  const digits = /\.(\d+)/.exec(text)?.[1] ?? "";
  return Date.parse(text) + Number(`0.${digits.slice(3) || "0"}`);
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
};

function exec(client: Client, instance: string, command: string[], wait = false) {
  return client.query<Operation>(`/1.0/instances/${instance}/exec`, {
    method: "POST",
    body: { command, "wait-for-websocket": false, "record-output": false },
    wait,
    timeout: 60_000,
  });
}

/** A migration source on `instance`: a process-free operation that runs until cancelled. */
function migrationSource(client: Client, instance: string) {
  return client.query<Operation>(`/1.0/instances/${instance}`, {
    method: "POST",
    body: { migration: true, live: false },
  });
}

/** Resolves with `task()` for each item, `concurrency` at a time. */
async function batched<T, R>(items: T[], concurrency: number, task: (item: T) => Promise<R>) {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += concurrency) {
    results.push(...await Promise.all(items.slice(i, i + concurrency).map(task)));
  }
  return results;
}

/**
 * N gated operations over `instances`, waited for by one client; lags in
 * ms, from the daemon's final event of each operation (its `timestamp`, seen
 * by a second client) to its wait settling. (A cancelled migration source
 * keeps its creation time as `updated_at`; Incus sends its Cancelled event
 * ~1 s after the cancel.)
 */
async function gatedWaits(socket: string, instances: string[]) {
  await using client = connect({ socket, requestTimeout: 300_000 });
  await using observer = connect({ socket });
  const ended = new Map<string, number>();
  const watching = new AbortController();
  const events = observer.events({ types: ["operation"], signal: watching.signal });
  await events.opened;
  const observed = (async () => {
    for await (const event of events) {
      const { id, status } = event.metadata;
      if (status === "Cancelled" || status === "Failure") ended.set(id, epochMs(event.timestamp));
    }
  })();
  const settled = new Map<string, number>();
  const created = performance.now();
  const ops = await batched(
    Array.from({ length: WAITS }, (_, i) => instances[i % instances.length]),
    25,
    (instance) => migrationSource(client, instance),
  );
  const createMs = performance.now() - created;
  const release = () => batched(ops, 25, (op) => client.operations.cancel(op).catch(() => {}));
  let sockets = 0;
  try {
    await new Promise((resolve) => setTimeout(resolve, 400));
    const before = openSockets();
    const waits = ops.map((op) =>
      client.operations.wait(op, { timeout: 300_000 }).catch((error) => {
        // Cancelled, or failed on its own (~30 s without a target) if the release came late.
        if (!(error instanceof OperationCancelledError || error instanceof OperationFailedError)) {
          throw error;
        }
        settled.set(op.id, performance.timeOrigin + performance.now());
      })
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // every wait subscribed
    sockets = openSockets() - before;
    await release();
    await Promise.all(waits);
    // The observer may see the last events a little after the waits did.
    for (let i = 0; i < 100 && ops.some((op) => !ended.has(op.id)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } catch (error) {
    await release(); // never leave the operations behind
    throw error;
  } finally {
    watching.abort();
    await observed;
  }
  // A final event the daemon never sent the observer (seen under load) leaves that wait out.
  const lags = ops.filter((op) => ended.has(op.id)).map((op) =>
    settled.get(op.id)! - ended.get(op.id)!
  );
  const unseen = ops.length - lags.length;
  return { p50: percentile(lags, 0.5), p99: percentile(lags, 0.99), sockets, createMs, unseen };
}

async function failover() {
  const member = (i: number) => ({ socket: SOCKETS[i], url: URLS[i], instance: INSTANCES[i] });
  await using client = connect({
    url: [URLS[0]],
    cert: await Deno.readTextFile(env("INCUSOPS_CLUSTER_CERT")),
    key: await Deno.readTextFile(env("INCUSOPS_CLUSTER_KEY")),
    serverCert: await Deno.readTextFile(env("INCUSOPS_CLUSTER_SERVER_CERT")),
  });
  const ops = await Promise.all(
    [1, 2].map((i) => exec(client, member(i).instance, ["sleep", "8"])),
  );
  let resolved = 0;
  let lastEnded = 0;
  const waits = client.operations.waitAll(ops, { timeout: 60_000 }).then((finals) => {
    resolved = performance.now();
    // An exec's `updated_at` is when it ended (the daemons' clock is this machine's).
    lastEnded = Math.max(...finals.map((op) => epochMs(op.updated_at))) - performance.timeOrigin;
  });
  await client.operations.get(ops[0]);
  const script = new URL("../tests/daemons/cluster.sh", import.meta.url).pathname;
  const run = (...args: string[]) =>
    new Deno.Command("bash", { args: [script, ...args], env: { CLUSTER_ROOT: ROOT } }).output();
  await run("kill-member", MEMBERS[0]);
  const killed = performance.now();
  await client.query("/1.0");
  const answered = performance.now();
  await waits;
  await run("start-member", MEMBERS[0]);
  return {
    answerMs: answered - killed,
    waitsMs: resolved - killed,
    afterEndMs: resolved - lastEnded,
    to: client.endpoint,
  };
}

const spread = await gatedWaits(SOCKETS[0], INSTANCES);
const single = await gatedWaits(env("INCUS_SOCKET"), ["c1"]);
console.log(`${WAITS} waits: completion → resolution, ms`);
console.log(
  "target                         | p50    | p99    | extra sockets | created in | events unseen",
);
console.log(
  "-------------------------------|--------|--------|---------------|------------|--------------",
);
for (
  const [name, r] of [["3-member cluster (via m1)", spread], ["standalone Incus", single]] as const
) {
  console.log(
    `${name.padEnd(30)} | ${r.p50.toFixed(1).padStart(6)} | ${r.p99.toFixed(1).padStart(6)} | ${
      String(r.sockets).padStart(13)
    } | ${(r.createMs / 1000).toFixed(1).padStart(8)} s | ${r.unseen}`,
  );
}
const moved = await failover();
console.log(
  `failover: m1 killed → first answer from ${moved.to} in ${moved.answerMs.toFixed(0)} ms; ` +
    `pending waits (execs of 8 s) resolved ${moved.waitsMs.toFixed(0)} ms after the kill, ` +
    `${moved.afterEndMs.toFixed(0)} ms after their operations ended`,
);
