// deno-lint-ignore-file no-console -- a benchmark reports its figures on stdout
/**
 * `deno task bench:cpu [--rounds=N] [--baseline=<checkout>]`: this process's
 * CPU time per `operations.get()` against bare `fetch` of the same operation
 * on the same socket (a pooled client with the library's pool options), on
 * each real daemon (`INCUS_SOCKET`, `LXD_SOCKET`: source the env file of
 * `tests/daemons/start.sh`). Clients alternate in chunks of 500 calls, the
 * order rotating every round, so the machine's drift falls on all of them.
 * `--baseline` adds another checkout of the package (an older version, say)
 * to the same rotation.
 *
 * @module
 */

import process from "node:process";
import { connect, type Operation } from "../mod.ts";
import { bareClient, bareJson } from "./clients/_bare.ts";

const option = (name: string): string | undefined =>
  Deno.args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
const ROUNDS = Number(option("rounds") ?? 40);
const BASELINE = option("baseline");
const CHUNK = 500;

type Get = () => Promise<unknown>;

/** This process's CPU time so far (user + system), µs. */
function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

/** All orders of `names` in turn, one a round. */
function rotations(names: string[], round: number): string[] {
  const shift = round % names.length;
  const order = [...names.slice(shift), ...names.slice(0, shift)];
  return Math.floor(round / names.length) % 2 ? order.reverse() : order;
}

async function measure(name: string, socket: string): Promise<void> {
  await using client = connect({ socket });
  // A running operation to read: exec operations cannot be cancelled, so it ends by itself.
  const op = await client.query<Operation>("/1.0/instances/c1/exec", {
    method: "POST",
    body: { command: ["sleep", "600"], "wait-for-websocket": false, interactive: false },
  });
  using bare = bareClient(socket);
  const gets: Record<string, Get> = {
    "bare fetch": () => bareJson(bare, `/1.0/operations/${op.id}`),
    library: () => client.operations.get(op.id),
  };
  let baseline: { close(): Promise<void> } | undefined;
  if (BASELINE !== undefined) {
    const module = await import(new URL(`${BASELINE.replace(/\/?$/, "/")}mod.ts`, "file:///").href);
    const older = module.connect({ socket });
    baseline = older;
    gets.baseline = () => older.operations.get(op.id);
  }
  try {
    const names = Object.keys(gets);
    const cpu: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
    // Warm-up (JIT, connections), not counted.
    for (const get of Object.values(gets)) for (let i = 0; i < 1_500; i++) await get();
    for (let round = 0; round < ROUNDS; round++) {
      for (const n of rotations(names, round)) {
        const before = cpuMicros();
        for (let i = 0; i < CHUNK; i++) await gets[n]();
        cpu[n] += cpuMicros() - before;
      }
    }
    const per = (n: string) => cpu[n] / (CHUNK * ROUNDS);
    const figures = names.map((n) =>
      `${n} ${per(n).toFixed(1)} µs (${(per(n) / per("bare fetch")).toFixed(3)}×)`
    );
    console.log(`${name}: ${figures.join(", ")}`);
  } finally {
    await baseline?.close();
  }
}

for (const [name, variable] of [["Incus", "INCUS_SOCKET"], ["LXD", "LXD_SOCKET"]]) {
  const socket = Deno.env.get(variable);
  if (socket === undefined) throw new Error(`${variable} is not set: source the daemons' env file`);
  await measure(name, socket);
}
console.log(
  `CPU per get, ${ROUNDS} rounds of ${CHUNK}-call chunks each; ratios to bare fetch; ` +
    `${new Date().toISOString().slice(0, 10)}, Deno ${Deno.version.deno}`,
);
