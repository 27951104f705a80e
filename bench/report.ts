// deno-lint-ignore-file no-console -- a benchmark reports its figures on stdout
/**
 * The performance report of issue 7: `deno task bench`.
 *
 * Every workload runs its contenders back to back in interleaved rounds
 * (library, bare fetch, peers; the order rotates every round) and reports
 * medians of ratios measured side by side: against bare fetch, of every pair
 * of neighbouring chunks; against peers, of every round. This machine is
 * shared and noisy, so absolute rates drift while those ratios hold. The
 * client's own CPU time per call (library and bare fetch) is reported too:
 * it shows what the library adds, whatever the daemon's pace.
 *
 * Contenders:
 * - `library`: this package (`connect({ socket })`).
 * - `bare`: the limit, bare `fetch` on one pooled `Deno.createHttpClient`
 *   over the same Unix socket, with the same pool options as the library.
 * - `pylxd`: Debian `python3-pylxd` (installed with apt-get when missing).
 * - `npm incus`: the npm `incus` client (axios), installed into a temporary
 *   folder, never a dependency of this project.
 *
 * Real daemons come from `INCUS_SOCKET` and `LXD_SOCKET` (source
 * `/tmp/incusops-daemons/env`, or run under `tests/daemons/with-daemons.sh`).
 * Without them the report fails, unless `--fake-only` is given.
 *
 * Flags: `--fake-only`, `--quick` (fewer calls and rounds, for development),
 * `--rounds=N`, `--only=get,concurrent,list,wait,load`.
 *
 * @module
 */

import process from "node:process";
import { connect, type Operation } from "../mod.ts";

const args = new Set(Deno.args);
const option = (name: string): string | undefined =>
  Deno.args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
const FAKE_ONLY = args.has("--fake-only");
const QUICK = args.has("--quick");
const ROUNDS = Number(option("rounds") ?? (QUICK ? 3 : 7));
const ONLY = new Set((option("only") ?? "get,concurrent,list,wait,load").split(","));
const GET_CALLS = QUICK ? 500 : 2_000;
const PEER_DIR = "/tmp/incusops-peers";
const PYTHON = "/usr/bin/python3"; // Debian's, where python3-pylxd lives
const HERE = new URL(".", import.meta.url).pathname;
const ROOT = new URL("..", import.meta.url).pathname;

// ---------------------------------------------------------------- helpers

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

async function run(command: string, commandArgs: string[], env?: Record<string, string>) {
  const output = await new Deno.Command(command, { args: commandArgs, env, stderr: "piped" })
    .output();
  const stdout = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    const stderr = new TextDecoder().decode(output.stderr);
    throw new Error(`${command} ${commandArgs.join(" ")} failed:\n${stdout}${stderr}`);
  }
  return stdout;
}

function log(message: string): void {
  console.error(`[bench] ${message}`);
}

/** Runs `calls` calls of `call`, `concurrency` at a time; resolves with the seconds taken. */
async function loop(
  call: () => Promise<unknown>,
  calls: number,
  concurrency = 1,
): Promise<number> {
  let left = calls;
  const worker = async () => {
    while (left > 0) {
      left--;
      await call();
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return (performance.now() - start) / 1000;
}

/** One side of a comparison: resolves with the seconds `calls` calls took. */
type Contender = (calls: number, concurrency: number) => Promise<number>;

interface Rates {
  /** Median calls per second, by contender. */
  rate: Record<string, number>;
  /**
   * Library ÷ contender: for bare fetch, the median over every pair of
   * neighbouring chunks; for a peer, the median of the per-round ratios.
   */
  ratio: Record<string, number>;
  /** This process's CPU time per call (user + system), µs: library and bare. */
  cpu: { library: number; bare: number };
}

/** This process's CPU time so far (user + system), µs. */
function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

/**
 * Interleaved rounds. Each round runs the peers (subprocesses, one slot
 * each), pauses so their exit does not weigh on what follows, then the
 * library and bare fetch in alternating chunks (ABBA...), so that both meet
 * the same load from the rest of this shared machine. Every pair of
 * neighbouring chunks gives one library/bare ratio: a hiccup of the machine
 * or of the daemon (a Go collection) spoils one pair, not a round, and the
 * median of all pairs ignores it. Peers are compared per round.
 */
async function compare(
  contenders: Record<string, Contender>,
  calls: number,
  concurrency: number,
): Promise<Rates> {
  const names = Object.keys(contenders);
  const peers = names.filter((name) => name !== "library" && name !== "bare");
  const rates: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  const chunks = Math.max(2, Math.min(20, Math.floor(calls / 50)));
  const chunk = Math.ceil(calls / chunks);
  // Warm-up (JIT, connections), not counted: long enough for both to be optimised.
  for (let i = 0; i < 2; i++) {
    await contenders.library(Math.max(500, Math.min(calls, 1_000)), concurrency);
    await contenders.bare(Math.max(500, Math.min(calls, 1_000)), concurrency);
  }
  const pairs: number[] = [];
  const cpu = { library: 0, bare: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < peers.length; i++) {
      const name = peers[(i + round) % peers.length];
      rates[name].push(calls / await contenders[name](calls, concurrency));
    }
    if (peers.length > 0) await new Promise((resolve) => setTimeout(resolve, 200));
    const seconds = { library: 0, bare: 0 };
    for (let i = 0; i < chunks; i++) {
      const order = (i + round) % 2 ? ["bare", "library"] as const : ["library", "bare"] as const;
      const pair = { library: 0, bare: 0 };
      for (const name of order) {
        const before = cpuMicros();
        pair[name] = await contenders[name](chunk, concurrency);
        cpu[name] += cpuMicros() - before;
        seconds[name] += pair[name];
      }
      pairs.push(pair.bare / pair.library);
    }
    rates.library.push(chunk * chunks / seconds.library);
    rates.bare.push(chunk * chunks / seconds.bare);
  }
  const rate: Record<string, number> = {};
  const ratio: Record<string, number> = {};
  for (const name of names) {
    rate[name] = median(rates[name]);
    ratio[name] = median(rates.library.map((value, i) => value / rates[name][i]));
  }
  ratio.bare = median(pairs);
  const total = chunk * chunks * ROUNDS;
  return { rate, ratio, cpu: { library: cpu.library / total, bare: cpu.bare / total } };
}

/** "3452 req/s (bare 3828); CPU 105 µs/call (bare 93)". */
function rateText(result: Rates): string {
  return `${result.rate.library.toFixed(0)} req/s (bare ${result.rate.bare.toFixed(0)}); ` +
    `CPU ${result.cpu.library.toFixed(0)} µs/call (bare ${result.cpu.bare.toFixed(0)})`;
}

// ---------------------------------------------------------------- peers

async function ensurePeers(): Promise<{ pylxd: boolean; npm: boolean }> {
  let pylxd = true;
  try {
    await run(PYTHON, ["-c", "import pylxd"]);
  } catch {
    log("installing python3-pylxd (apt-get) for the benchmark");
    try {
      await run("apt-get", ["install", "-y", "python3-pylxd"], {
        DEBIAN_FRONTEND: "noninteractive",
      });
    } catch (error) {
      log(`pylxd unavailable: ${error}`);
      pylxd = false;
    }
  }
  let npm = true;
  try {
    Deno.statSync(`${PEER_DIR}/node_modules/incus/package.json`);
    Deno.statSync(`${PEER_DIR}/node_modules/tslib/package.json`);
  } catch {
    log(`installing the npm incus client into ${PEER_DIR} for the benchmark`);
    try {
      // incus@1.0.8 requires tslib at run time but declares it as a dev dependency.
      await run("npm", ["install", "--no-save", "--prefix", PEER_DIR, "incus@1.0.8", "tslib"]);
    } catch (error) {
      log(`npm incus unavailable: ${error}`);
      npm = false;
    }
  }
  return { pylxd, npm };
}

function peerContenders(
  socket: string,
  mode: "get" | "list",
  id: string,
  available: { pylxd: boolean; npm: boolean },
  concurrency: number,
): Record<string, Contender> {
  const contenders: Record<string, Contender> = {};
  const parse = (text: string) => JSON.parse(text.trim().split("\n").at(-1)!).seconds as number;
  // pylxd is synchronous: it only takes part in the sequential workloads.
  if (available.pylxd && concurrency === 1) {
    contenders.pylxd = async (calls) =>
      parse(await run(PYTHON, [`${HERE}peers/pylxd_peer.py`, mode, socket, id, String(calls)]));
  }
  if (available.npm) {
    contenders["npm incus"] = async (calls, c) =>
      parse(
        await run("node", [
          `${HERE}peers/incus_npm_peer.cjs`,
          mode,
          socket,
          id,
          String(calls),
          String(c),
        ], { NODE_PATH: `${PEER_DIR}/node_modules` }),
      );
  }
  return contenders;
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
        `Run "source /tmp/incusops-daemons/env" or "bash tests/daemons/with-daemons.sh ` +
        `deno task bench", or pass --fake-only to measure against the fake daemon only.`,
    );
  }
  return targets;
}

function bareClient(socket: string): Deno.HttpClient {
  // The same pool options as the library (see UNIX_POOL_IDLE_MS in src/incus/transport/connections.ts).
  return Deno.createHttpClient({
    proxy: { transport: "unix", path: socket },
    poolIdleTimeout: 200,
  });
}

async function bareJson(client: Deno.HttpClient, path: string): Promise<unknown> {
  const response = await fetch(`http://127.0.0.1${path}`, { client });
  const envelope = await response.json();
  if (envelope.type !== "sync") throw new Error(`${path}: ${JSON.stringify(envelope)}`);
  return envelope.metadata;
}

/** A running operation on a real daemon (exec sleep), or on a fake one. */
async function runningOperation(target: Target, seconds: number): Promise<string> {
  using client = connect({ socket: target.socket });
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
  library: string;
  vsLimit: string;
  vsPeers: string;
  note?: string;
}

const rows: Row[] = [];

function fmtRatio(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? "–" : `${value.toFixed(2)}×`;
}

function peerText(result: Rates, peers: string[]): string {
  return peers.filter((name) => name in result.ratio).map((name) =>
    `${fmtRatio(result.ratio[name])} ${name}`
  ).join(", ") || "–";
}

async function benchGet(
  target: Target,
  available: { pylxd: boolean; npm: boolean },
  id: string,
) {
  await using client = connect({ socket: target.socket });
  const bare = bareClient(target.socket);
  try {
    const path = `/1.0/operations/${id}`;
    const base: Record<string, Contender> = {
      library: (calls, c) => loop(() => client.operations.get(id), calls, c),
      bare: (calls, c) => loop(() => bareJson(bare, path), calls, c),
    };
    if (ONLY.has("get")) {
      log(`${target.name}: operations.get sequential, ${GET_CALLS} calls x ${ROUNDS} rounds`);
      const peers = peerContenders(target.socket, "get", id, available, 1);
      const result = await compare({ ...base, ...peers }, GET_CALLS, 1);
      rows.push({
        workload: `get, sequential (${GET_CALLS})`,
        target: target.name,
        library: rateText(result),
        vsLimit: fmtRatio(result.ratio.bare),
        vsPeers: peerText(result, Object.keys(peers)),
      });
    }
    if (ONLY.has("concurrent")) {
      for (const concurrency of [8, 32]) {
        log(`${target.name}: operations.get, ${concurrency} in flight`);
        const peers = peerContenders(target.socket, "get", id, available, concurrency);
        const result = await compare({ ...base, ...peers }, GET_CALLS, concurrency);
        rows.push({
          workload: `get, ${concurrency} in flight (${GET_CALLS})`,
          target: target.name,
          library: rateText(result),
          vsLimit: fmtRatio(result.ratio.bare),
          vsPeers: peerText(result, Object.keys(peers)),
        });
      }
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
  available: { pylxd: boolean; npm: boolean },
): Promise<{ perOp: number; barePerOp: number; bytesPerOp: number }> {
  await using client = connect({ socket: target.socket });
  const bare = bareClient(target.socket);
  try {
    const calls = Math.max(3, Math.min(2_000, Math.round((QUICK ? 40_000 : 200_000) / count)));
    const peers = peerContenders(target.socket, "list", "-", available, 1);
    const library = () => client.operations.list();
    const bareList = () => bareJson(bare, "/1.0/operations?recursion=1");
    const result = await compare(
      {
        library: (n) => loop(library, n),
        bare: (n) => loop(bareList, n),
        ...peers,
      },
      calls,
      1,
    );
    const actual = (await client.operations.list()).length;
    const perOp = 1e6 / result.rate.library / Math.max(1, actual);
    const barePerOp = 1e6 / result.rate.bare / Math.max(1, actual);
    const bytesPerOp = await heapGrowth(library) / Math.max(1, actual);
    const bareBytes = await heapGrowth(bareList) / Math.max(1, actual);
    rows.push({
      workload: `list, ${actual} operations`,
      target: target.name,
      library: `${perOp.toFixed(2)} µs/op, ${bytesPerOp.toFixed(0)} B/op (bare ${
        bareBytes.toFixed(0)
      } B/op); CPU ${result.cpu.library.toFixed(0)} µs/call (bare ${result.cpu.bare.toFixed(0)})`,
      vsLimit: fmtRatio(result.ratio.bare),
      vsPeers: peerText(result, Object.keys(peers)),
    });
    return { perOp, barePerOp, bytesPerOp };
  } finally {
    bare.close();
  }
}

/** Serves `count` running operations from a fake daemon in its own process. */
async function withFakeServer<T>(count: number, body: (socket: string) => Promise<T>): Promise<T> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--import-map",
      `${ROOT}.ci/offline-imports.json`,
      `${HERE}fake_server.ts`,
      String(count),
    ],
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

async function benchWait(target: Target) {
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
    `median ${median(values).toFixed(2)} ms, p95 ${percentile(values, 0.95).toFixed(2)} ms`;
  rows.push({
    workload: `wait: completion → resolve, ${total} concurrent execs (1–5 s)`,
    target: target.name,
    library: describe(lag.library),
    vsLimit: `bare /wait: ${describe(lag.bare)}`,
    vsPeers: "–",
  });
}

async function benchLoad(target: Target) {
  const flags = ["run", "-A", "--import-map", `${ROOT}.ci/offline-imports.json`];
  const library = [Deno.execPath(), ...flags, `${HERE}load/library.ts`, target.socket].join(" ");
  const bare = [Deno.execPath(), ...flags, `${HERE}load/bare.ts`, target.socket].join(" ");
  const runs = QUICK ? 10 : 30;
  let times: { library: number; bare: number };
  try {
    const file = await Deno.makeTempFile({ suffix: ".json" });
    await run("hyperfine", [
      "--warmup",
      "3",
      "--runs",
      String(runs),
      "--export-json",
      file,
      "-N",
      library,
      bare,
    ]);
    const results = JSON.parse(await Deno.readTextFile(file)).results;
    await Deno.remove(file);
    times = { library: results[0].median * 1000, bare: results[1].median * 1000 };
  } catch (error) {
    log(`hyperfine unavailable (${error}); timing subprocess spawns instead`);
    const spawn = async (line: string) => {
      const [command, ...rest] = line.split(" ");
      const start = performance.now();
      await run(command, rest);
      return performance.now() - start;
    };
    const samples = { library: [] as number[], bare: [] as number[] };
    for (let i = 0; i < runs; i++) {
      samples.library.push(await spawn(library));
      samples.bare.push(await spawn(bare));
    }
    times = { library: median(samples.library), bare: median(samples.bare) };
  }
  rows.push({
    workload: "module load + first list()",
    target: target.name,
    library: `${times.library.toFixed(1)} ms (bare ${times.bare.toFixed(1)} ms)`,
    vsLimit: fmtRatio(times.bare / times.library),
    vsPeers: "–",
  });
}

// ---------------------------------------------------------------- main

const targets = realTargets();
const available = await ensurePeers();
log(`peers: pylxd ${available.pylxd ? "yes" : "no"}, npm incus ${available.npm ? "yes" : "no"}`);

for (const target of targets) {
  if (ONLY.has("get") || ONLY.has("concurrent")) {
    // Long enough to cover the get workloads; exec operations cannot be cancelled.
    await benchGet(target, available, await runningOperation(target, 300));
  }
  if (ONLY.has("list")) {
    log(`${target.name}: operations.list with 10 running operations`);
    const ids = await Promise.all(Array.from({ length: 10 }, () => runningOperation(target, 60)));
    if (ids.length !== 10) throw new Error("could not start 10 operations");
    await benchList(target, 10, available);
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

if (ONLY.has("get") || ONLY.has("concurrent")) {
  await withFakeServer(1, async (socket) => {
    await using client = connect({ socket });
    const [id] = await client.operations.list({ recursion: 0 });
    await benchGet({ name: "fake", socket, real: false }, available, id);
  });
}

if (ONLY.has("list")) {
  const perOp: Record<number, { perOp: number; barePerOp: number; bytesPerOp: number }> = {};
  for (const count of [10, 1_000, 10_000]) {
    log(`fake: operations.list with ${count} operations`);
    perOp[count] = await withFakeServer(
      count,
      (socket) => benchList({ name: "fake", socket, real: false }, count, available),
    );
  }
  rows.push({
    workload: "list growth 1k → 10k operations (linear = 1.00)",
    target: "fake",
    library: `time/op ×${(perOp[10_000].perOp / perOp[1_000].perOp).toFixed(2)}, bytes/op ×${
      (perOp[10_000].bytesPerOp / perOp[1_000].bytesPerOp).toFixed(2)
    }`,
    vsLimit: `bare fetch time/op ×${(perOp[10_000].barePerOp / perOp[1_000].barePerOp).toFixed(2)}`,
    vsPeers: "–",
  });
}

const header = "| workload | daemon | library | vs limit (bare fetch) | vs peers |";
console.log(
  `\n${header}\n|---|---|---|---|---|\n` +
    rows.map((r) => `| ${r.workload} | ${r.target} | ${r.library} | ${r.vsLimit} | ${r.vsPeers} |`)
      .join("\n"),
);
console.log(
  `\n${ROUNDS} interleaved rounds; vs bare fetch: median over neighbouring chunk pairs, vs ` +
    `peers: median of per-round ratios (library ÷ other: ` +
    `> 1 means the library is faster); ${new Date().toISOString().slice(0, 10)}, ` +
    `${navigator.hardwareConcurrency} CPUs, Deno ${Deno.version.deno}.`,
);
