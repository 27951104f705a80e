// deno-lint-ignore-file no-console -- a benchmark reports its figures on stdout
/**
 * The performance report: `deno task bench`.
 *
 * Every workload is measured in interleaved rounds, each started once the
 * machine's CPUs are idle (`_idle.ts`), by two methods against bare `fetch`
 * (the limit: one pooled `Deno.HttpClient` over the same socket, the
 * library's pool options):
 *
 * - **pairs**: in this process, the library and bare fetch in alternating
 *   chunks (ABBA...); every pair of neighbouring chunks gives one ratio, so
 *   a hiccup of the machine or of the daemon spoils one pair, not a round.
 * - **processes**: each client a process of its own (`bench/clients/`),
 *   the order reversed every other round; one ratio a round.
 *
 * and against the peers (pylxd, the npm `incus` client, incus_sdk; see
 * `_peers.ts`), each a process too, compared with the library's process of
 * the same round. Every figure is a median with its interquartile range.
 *
 * Real daemons come from `INCUS_SOCKET` and `LXD_SOCKET` (source the env
 * file `tests/daemons/start.sh` writes, or run under
 * `tests/daemons/with-daemons.sh`). Without them the report fails, unless
 * `--fake-only` is given.
 *
 * Flags: `--fake-only`, `--quick` (fewer calls and rounds, for
 * development), `--rounds=N`, `--only=get,concurrent,list,fake,wait,load`,
 * `--no-idle-wait`.
 *
 * @module
 */

import process from "node:process";
import { connect, type Operation } from "../mod.ts";
import { bareClient, bareJson } from "./clients/_bare.ts";
import { callMany } from "./clients/_loop.ts";
import { ensurePeers, peerCommand, type PeerName, type Peers, run } from "./_peers.ts";
import { median, quantile, ratioText, type Spread, spread } from "./_stats.ts";
import { waitForIdleCpus } from "./_idle.ts";

const args = new Set(Deno.args);
const option = (name: string): string | undefined =>
  Deno.args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
const FAKE_ONLY = args.has("--fake-only");
const QUICK = args.has("--quick");
const IDLE_WAIT = !args.has("--no-idle-wait");
const ROUNDS = Number(option("rounds") ?? (QUICK ? 3 : 9));
const ONLY = new Set((option("only") ?? "get,concurrent,list,fake,wait,load").split(","));
const GET_CALLS = QUICK ? 500 : 2_000;
const HERE = new URL(".", import.meta.url).pathname;
const ROOT = new URL("..", import.meta.url).pathname;
const DENO_RUN = ["run", "-A", "--import-map", `${ROOT}.ci/offline-imports.json`];

function log(message: string): void {
  console.error(`[bench] ${message}`);
}

/** Runs `calls` calls of `call`, `concurrency` at a time; resolves with the seconds taken. */
async function loop(
  call: () => Promise<unknown>,
  calls: number,
  concurrency = 1,
): Promise<number> {
  const start = performance.now();
  await callMany(call, calls, concurrency);
  return (performance.now() - start) / 1000;
}

/** This process's CPU time so far (user + system), µs. */
function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

// ---------------------------------------------------------------- measuring

/** One workload: what is called, on which daemon, how many times, how many at once. */
interface Workload {
  name: string;
  target: Target;
  mode: "get" | "list";
  id: string;
  calls: number;
  concurrency: number;
  library: () => Promise<unknown>;
  bare: () => Promise<unknown>;
  peers: PeerName[];
}

/** What one workload measured. */
interface Measured {
  /** Bare fetch time ÷ library time of neighbouring in-process chunks (> 1: library faster). */
  pairs: Spread;
  /** Bare process time ÷ library process time, one a round. */
  processes: Spread;
  /** Peer process time ÷ library process time, one a round. */
  peers: Record<string, Spread>;
  /** Median in-process calls per second. */
  rate: { library: number; bare: number };
  /** This process's CPU time per call (user + system), µs. */
  cpu: { library: number; bare: number };
  /** Rounds that started before the CPUs were idle (the wait gave up). */
  busyRounds: number;
}

/** Runs a client script (`bench/clients/`) or a peer; resolves with its timed seconds. */
async function timedProcess(
  command: string,
  commandArgs: string[],
  env?: Record<string, string>,
): Promise<number> {
  const text = await run(command, commandArgs, env);
  return JSON.parse(text.trim().split("\n").at(-1)!).seconds as number;
}

function clientProcess(name: "library" | "bare", w: Workload): Promise<number> {
  return timedProcess(Deno.execPath(), [
    ...DENO_RUN,
    `${HERE}clients/${name}.ts`,
    w.mode,
    w.target.socket,
    w.id,
    String(w.calls),
    String(w.concurrency),
  ]);
}

async function measure(w: Workload): Promise<Measured> {
  const chunks = Math.max(2, Math.min(20, Math.floor(w.calls / 50)));
  const chunk = Math.ceil(w.calls / chunks);
  // Warm-up (JIT, connections), not counted: long enough for both to be optimised.
  for (let i = 0; i < 2; i++) {
    await loop(w.library, Math.max(500, Math.min(w.calls, 1_000)), w.concurrency);
    await loop(w.bare, Math.max(500, Math.min(w.calls, 1_000)), w.concurrency);
  }
  const pairs: number[] = [];
  const processes: number[] = [];
  const peers: Record<string, number[]> = Object.fromEntries(w.peers.map((name) => [name, []]));
  const rates = { library: [] as number[], bare: [] as number[] };
  const cpu = { library: 0, bare: 0 };
  let busyRounds = 0;
  for (let round = 0; round < ROUNDS; round++) {
    if (IDLE_WAIT && !(await waitForIdleCpus()).idle) busyRounds++;
    // In-process pairs.
    const seconds = { library: 0, bare: 0 };
    for (let i = 0; i < chunks; i++) {
      const order = (i + round) % 2 ? ["bare", "library"] as const : ["library", "bare"] as const;
      const pair = { library: 0, bare: 0 };
      for (const name of order) {
        const before = cpuMicros();
        pair[name] = await loop(w[name], chunk, w.concurrency);
        cpu[name] += cpuMicros() - before;
        seconds[name] += pair[name];
      }
      pairs.push(pair.bare / pair.library);
    }
    rates.library.push(chunk * chunks / seconds.library);
    rates.bare.push(chunk * chunks / seconds.bare);
    // Separate processes, then the peers (their order rotating).
    if (IDLE_WAIT) await waitForIdleCpus({ maxWaitMs: 2_000 });
    const order = round % 2 ? ["bare", "library"] as const : ["library", "bare"] as const;
    const own = { library: 0, bare: 0 };
    for (const name of order) own[name] = await clientProcess(name, w);
    processes.push(own.bare / own.library);
    for (let i = 0; i < w.peers.length; i++) {
      const name = w.peers[(i + round) % w.peers.length];
      const peer = peerCommand(name, w.mode, w.target.socket, w.id, w.calls, w.concurrency)!;
      peers[name].push(await timedProcess(peer.command, peer.args, peer.env) / own.library);
    }
  }
  const total = chunk * chunks * ROUNDS;
  return {
    pairs: spread(pairs),
    processes: spread(processes),
    peers: Object.fromEntries(
      Object.entries(peers).map(([name, values]) => [name, spread(values)]),
    ),
    rate: { library: median(rates.library), bare: median(rates.bare) },
    cpu: { library: cpu.library / total, bare: cpu.bare / total },
    busyRounds,
  };
}

// ---------------------------------------------------------------- targets

interface Target {
  name: string;
  socket: string;
  real: boolean;
}

function realTargets(): Target[] {
  if (FAKE_ONLY) return [];
  const targets: Target[] = [];
  const missing: string[] = [];
  for (const [name, variable] of [["incus", "INCUS_SOCKET"], ["lxd", "LXD_SOCKET"]]) {
    const socket = Deno.env.get(variable);
    let ok = false;
    try {
      ok = socket !== undefined && Deno.statSync(socket).isSocket === true;
    } catch { /* reported below */ }
    if (ok) targets.push({ name, socket: socket!, real: true });
    else missing.push(`${variable}=${socket ?? "(unset)"}`);
  }
  if (missing.length > 0) {
    throw new Error(
      `the benchmark needs real Incus and LXD daemons; missing: ${missing.join(", ")}. ` +
        `Source the env file of tests/daemons/start.sh or run "bash tests/daemons/with-daemons.sh ` +
        `deno task bench", or pass --fake-only to measure against the fake daemon only.`,
    );
  }
  return targets;
}

/** A running operation on a real daemon (exec sleep), or on a fake one. */
async function runningOperation(target: Target, seconds: number): Promise<string> {
  await using client = connect({ socket: target.socket });
  const op = await client.query<Operation>("/1.0/instances/c1/exec", {
    method: "POST",
    body: {
      command: ["sleep", String(seconds)],
      "wait-for-websocket": false,
      interactive: false,
      "record-output": false,
    },
  });
  return op.id;
}

// ---------------------------------------------------------------- report

interface Row {
  workload: string;
  target: string;
  pairs: string;
  processes: string;
  library: string;
  peers: string;
}

const rows: Row[] = [];
/** Every ratio against bare fetch, for the goal line. */
const goal: { workload: string; target: string; pairs: number; processes: number }[] = [];

function record(workload: string, target: Target, result: Measured, library: string): void {
  rows.push({
    workload,
    target: target.name,
    pairs: ratioText(result.pairs),
    processes: ratioText(result.processes),
    library: library + (result.busyRounds > 0 ? ` (${result.busyRounds} busy rounds)` : ""),
    peers: Object.entries(result.peers).map(([name, value]) => `${ratioText(value)} ${name}`)
      .join(", ") || "–",
  });
  goal.push({
    workload,
    target: target.name,
    pairs: result.pairs.median,
    processes: result.processes.median,
  });
}

function cpuText(result: Measured): string {
  return `${result.rate.library.toFixed(0)} req/s (bare ${result.rate.bare.toFixed(0)}); CPU ${
    result.cpu.library.toFixed(0)
  } µs/call (bare ${result.cpu.bare.toFixed(0)})`;
}

async function benchGet(target: Target, peers: Peers, id: string): Promise<void> {
  await using client = connect({ socket: target.socket });
  const bare = bareClient(target.socket);
  try {
    const path = `/1.0/operations/${id}`;
    const concurrencies = [
      ...(ONLY.has("get") ? [1] : []),
      ...(ONLY.has("concurrent") ? [8, 32] : []),
    ];
    for (const concurrency of concurrencies) {
      const workload = concurrency === 1
        ? `get, sequential (${GET_CALLS})`
        : `get, ${concurrency} in flight (${GET_CALLS})`;
      log(`${target.name}: ${workload}, ${ROUNDS} rounds`);
      const result = await measure({
        name: workload,
        target,
        mode: "get",
        id,
        calls: GET_CALLS,
        concurrency,
        library: () => client.operations.get(id),
        bare: () => bareJson(bare, path),
        peers: [...peers.available].filter((name) => name !== "pylxd" || concurrency === 1),
      });
      record(workload, target, result, cpuText(result));
    }
  } finally {
    bare.close();
  }
}

/** Client-side heap growth of one call, bytes (needs --v8-flags=--expose-gc). */
async function heapGrowth(call: () => Promise<unknown>): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return NaN;
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    gc();
    const before = Deno.memoryUsage().heapUsed;
    const kept = await call();
    samples.push(Deno.memoryUsage().heapUsed - before);
    if (kept === undefined) throw new Error("no result");
  }
  return median(samples);
}

async function benchList(
  target: Target,
  count: number,
  peers: Peers,
): Promise<{ perOp: number; barePerOp: number; bytesPerOp: number }> {
  await using client = connect({ socket: target.socket });
  const bare = bareClient(target.socket);
  try {
    const calls = Math.max(20, Math.min(2_000, Math.round((QUICK ? 40_000 : 200_000) / count)));
    const library = () => client.operations.list();
    const bareList = () => bareJson(bare, "/1.0/operations?recursion=1");
    const actual = (await client.operations.list()).length;
    const workload = `list, ${actual} operations${target.real ? "" : " (fake)"}`;
    log(`${target.name}: ${workload}, ${ROUNDS} rounds`);
    const result = await measure({
      name: workload,
      target,
      mode: "list",
      id: "-",
      calls,
      concurrency: 1,
      library,
      bare: bareList,
      peers: [...peers.available],
    });
    const perOp = 1e6 / result.rate.library / Math.max(1, actual);
    const barePerOp = 1e6 / result.rate.bare / Math.max(1, actual);
    const bytesPerOp = await heapGrowth(library) / Math.max(1, actual);
    const bareBytes = await heapGrowth(bareList) / Math.max(1, actual);
    record(
      workload,
      target,
      result,
      `${perOp.toFixed(2)} µs/op, ${bytesPerOp.toFixed(0)} B/op (bare ${bareBytes.toFixed(0)}); ` +
        `CPU ${result.cpu.library.toFixed(0)} µs/call (bare ${result.cpu.bare.toFixed(0)})`,
    );
    return { perOp, barePerOp, bytesPerOp };
  } finally {
    bare.close();
  }
}

/** Serves `count` running operations from a fake daemon in its own process. */
async function withFakeServer<T>(count: number, body: (socket: string) => Promise<T>): Promise<T> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...DENO_RUN, `${HERE}fake_server.ts`, String(count)],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let line = "";
  while (!line.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the fake server ended early");
    line += decoder.decode(value, { stream: true });
  }
  try {
    return await body(line.trim());
  } finally {
    await child.stdin.close();
    await reader.cancel();
    await child.status;
  }
}

/** Milliseconds since the epoch of an RFC 3339 time, with its sub-millisecond digits. */
function epochMs(text: string): number {
  const digits = /\.(\d+)/.exec(text)?.[1] ?? "";
  return Date.parse(text) + Number(`0.${digits.slice(3) || "0"}`);
}

const extraRows: { workload: string; target: string; text: string }[] = [];

async function benchWait(target: Target): Promise<void> {
  // 100 execs of 1–5 s started together; half waited by the library, half by
  // a bare /wait long-poll (each on its own connection, as the library does).
  // Each wait starts as soon as its exec is created: the daemons create execs
  // one after the other (tens of ms each), so waiting for all of them first
  // would count ops that finished before anyone waited.
  const total = QUICK ? 40 : 100;
  await using client = connect({ socket: target.socket });
  const lag = { library: [] as number[], bare: [] as number[] };
  await Promise.all(Array.from({ length: total }, async (_, i) => {
    const id = await runningOperation(target, 1 + (i % 5));
    let final: Operation;
    if (i % 2 === 0) {
      final = await client.operations.wait(id, { timeout: 60_000 });
    } else {
      const fresh = bareClient(target.socket);
      try {
        final = await bareJson(fresh, `/1.0/operations/${id}/wait?timeout=30`) as Operation;
      } finally {
        fresh.close();
      }
    }
    const resolved = performance.timeOrigin + performance.now();
    lag[i % 2 === 0 ? "library" : "bare"].push(resolved - epochMs(final.updated_at));
  }));
  const describe = (values: number[]) =>
    `median ${median(values).toFixed(2)} ms [${quantile(values, 0.25).toFixed(2)}–${
      quantile(values, 0.75).toFixed(2)
    }], p95 ${quantile(values, 0.95).toFixed(2)} ms`;
  extraRows.push({
    workload: `wait: completion → resolve, ${total} concurrent execs (1–5 s)`,
    target: target.name,
    text: `library ${describe(lag.library)}; bare /wait ${describe(lag.bare)}`,
  });
}

async function benchLoad(target: Target): Promise<void> {
  const library = [...DENO_RUN, `${HERE}load/library.ts`, target.socket];
  const bare = [...DENO_RUN, `${HERE}load/bare.ts`, target.socket];
  const runs = QUICK ? 10 : 30;
  const spawn = async (commandArgs: string[]) => {
    const start = performance.now();
    await run(Deno.execPath(), commandArgs);
    return performance.now() - start;
  };
  const ratios: number[] = [];
  const samples = { library: [] as number[], bare: [] as number[] };
  for (let i = 0; i < 3; i++) await spawn(library); // the module cache
  for (let i = 0; i < runs; i++) {
    const pair = i % 2
      ? { bare: await spawn(bare), library: await spawn(library) }
      : { library: await spawn(library), bare: await spawn(bare) };
    samples.library.push(pair.library);
    samples.bare.push(pair.bare);
    ratios.push(pair.bare / pair.library);
  }
  extraRows.push({
    workload: "module load + first list(), a process each",
    target: target.name,
    text: `${median(samples.library).toFixed(1)} ms (bare ${median(samples.bare).toFixed(1)} ms): ${
      ratioText(spread(ratios))
    } bare`,
  });
}

// ---------------------------------------------------------------- main

const targets = realTargets();
const peers = await ensurePeers(log);
log(`peers: ${[...peers.available].join(", ") || "none"}`);

for (const target of targets) {
  if (ONLY.has("get") || ONLY.has("concurrent")) {
    // Long enough to cover the get workloads; exec operations cannot be cancelled.
    await benchGet(target, peers, await runningOperation(target, 900));
  }
  if (ONLY.has("list")) {
    const ids = await Promise.all(Array.from({ length: 10 }, () => runningOperation(target, 300)));
    if (ids.length !== 10) throw new Error("could not start 10 operations");
    await benchList(target, 10, peers);
  }
  // Before the wait workload, whose 100 finished execs the daemon lists for
  // a few seconds: the first list() then reads the same few operations in
  // every run.
  if (ONLY.has("load")) {
    log(`${target.name}: module load`);
    await benchLoad(target);
  }
  if (ONLY.has("wait")) {
    log(`${target.name}: wait latency`);
    await benchWait(target);
  }
}

if (ONLY.has("fake")) {
  const perOp: Record<number, { perOp: number; barePerOp: number; bytesPerOp: number }> = {};
  for (const count of [1_000, 10_000]) {
    perOp[count] = await withFakeServer(
      count,
      (socket) => benchList({ name: "fake", socket, real: false }, count, peers),
    );
  }
  extraRows.push({
    workload: "list growth 1k → 10k operations (linear = 1.00)",
    target: "fake",
    text: `time/op ×${(perOp[10_000].perOp / perOp[1_000].perOp).toFixed(2)} (bare ×${
      (perOp[10_000].barePerOp / perOp[1_000].barePerOp).toFixed(2)
    }), bytes/op ×${(perOp[10_000].bytesPerOp / perOp[1_000].bytesPerOp).toFixed(2)}`,
  });
}

console.log(
  "\n| workload | daemon | vs bare fetch, pairs | vs bare fetch, processes | library | vs peers |\n" +
    "|---|---|---|---|---|---|\n" +
    rows.map((r) =>
      `| ${r.workload} | ${r.target} | ${r.pairs} | ${r.processes} | ${r.library} | ${r.peers} |`
    ).join("\n"),
);
if (extraRows.length > 0) {
  console.log(
    "\n| workload | daemon | figures |\n|---|---|---|\n" +
      extraRows.map((r) => `| ${r.workload} | ${r.target} | ${r.text} |`).join("\n"),
  );
}
const short = goal.filter((g) => Math.min(g.pairs, g.processes) < 0.95);
console.log(
  `\nGoal ≥ 0.95× bare fetch by both methods: ${
    short.length === 0
      ? "met by every workload"
      : `missed by ${short.map((g) => `${g.workload} on ${g.target}`).join("; ")}`
  }.`,
);
if (Object.keys(peers.missing).length > 0) {
  console.log(
    `Peers not measured: ${
      Object.entries(peers.missing).map(([name, why]) => `${name} (${why})`).join("; ")
    }.`,
  );
}
console.log(
  `\n${ROUNDS} interleaved rounds, each after the CPUs were idle; ratios are other ÷ library ` +
    `times (> 1: the library is faster), median [interquartile range]; pairs: neighbouring ` +
    `in-process chunks; processes and peers: one process per client per round; ` +
    `${new Date().toISOString().slice(0, 10)}, ${navigator.hardwareConcurrency} CPUs, ` +
    `Deno ${Deno.version.deno}.`,
);
