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
 * Each operation blocks on a fifo until all waits are in place (execs of
 * `cat <fifo>`), then all are released at once.
 *
 * `source $DAEMONS_ROOT/env && nsenter --net=/proc/$INCUSOPS_CLUSTER_NETNS_PID/ns/net deno run -A --import-map .ci/offline-imports.json bench/cluster_waits.ts [--waits=N]`
 *
 * @module
 */

import { type Client, connect, type Operation } from "../mod.ts";
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

/** N gated operations over `instances`, waited for by one client; lags in ms. */
async function gatedWaits(client: Client, instances: string[]) {
  const gate = `/tmp/bench-gate-${crypto.randomUUID().slice(0, 8)}`;
  await Promise.all(instances.map((instance) => exec(client, instance, ["mkfifo", gate], true)));
  const release = async () => {
    for (const instance of instances) {
      await exec(client, instance, ["sh", "-c", `exec 3>${gate}; sleep 3`]);
    }
  };
  const ops: Operation[] = [];
  const lags: number[] = [];
  let before = 0;
  let during = 0;
  const sampling = setInterval(() => during = Math.max(during, openSockets()), 20);
  try {
    for (let i = 0; i < WAITS; i += 25) {
      const batch = Array.from(
        { length: Math.min(25, WAITS - i) },
        (_, j) =>
          exec(client, instances[(i + j) % instances.length], [
            "sh",
            "-c",
            `cat ${gate} >/dev/null`,
          ]),
      );
      ops.push(...await Promise.all(batch));
    }
    await new Promise((resolve) => setTimeout(resolve, 400));
    before = openSockets();
    during = before;
    const waits = ops.map((op) =>
      client.operations.wait(op, { timeout: 300_000 }).then((final) => {
        lags.push(performance.timeOrigin + performance.now() - epochMs(final.updated_at));
      })
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // every wait subscribed
    await release();
    await Promise.all(waits);
  } catch (error) {
    await release().catch(() => {}); // never leave the gated processes behind
    throw error;
  } finally {
    clearInterval(sampling);
  }
  return { p50: percentile(lags, 0.5), p99: percentile(lags, 0.99), sockets: during - before };
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
  const waits = client.operations.waitAll(ops, { timeout: 60_000 }).then(() => {
    resolved = performance.now();
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
  return { answerMs: answered - killed, waitsMs: resolved - killed, to: client.target };
}

await using cluster = connect({ socket: SOCKETS[0], requestTimeout: 300_000 });
const spread = await gatedWaits(cluster, INSTANCES);
await using standalone = connect({ socket: env("INCUS_SOCKET"), requestTimeout: 300_000 });
const single = await gatedWaits(standalone, ["c1"]);
console.log(`${WAITS} waits: completion → resolution, ms`);
console.log("target                         | p50    | p99    | extra sockets");
console.log("-------------------------------|--------|--------|--------------");
for (
  const [name, r] of [["3-member cluster (via m1)", spread], ["standalone Incus", single]] as const
) {
  console.log(
    `${name.padEnd(30)} | ${r.p50.toFixed(1).padStart(6)} | ${
      r.p99.toFixed(1).padStart(6)
    } | ${r.sockets}`,
  );
}
const moved = await failover();
console.log(
  `failover: m1 killed → first answer from ${moved.to} in ${moved.answerMs.toFixed(0)} ms; ` +
    `pending waits resolved ${moved.waitsMs.toFixed(0)} ms after the kill`,
);
