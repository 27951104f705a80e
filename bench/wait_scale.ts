// deno-lint-ignore-file no-console -- a benchmark reports its figures on stdout
/**
 * Issue 4 benchmark: 1,000 concurrent `wait`s against the fake daemon (in
 * a process of its own), on the shared events connection and, as the
 * baseline in the same run, on `/wait` long-polls (`events: false`).
 * Reports sockets the client held, its RSS growth, and the time from each
 * operation's completion (its final `updated_at`) to the wait resolving.
 *
 * `deno run -A --v8-flags=--expose-gc --import-map .ci/offline-imports.json bench/wait_scale.ts [--waits=N] [--rounds=N]`
 *
 * @module
 */

import { connect, type Operation } from "../mod.ts";
import { openSockets } from "../tests/_process.ts";

const option = (name: string, fallback: number): number =>
  Number(Deno.args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
const WAITS = option("waits", 1_000);
const ROUNDS = option("rounds", 3);
const HERE = new URL(".", import.meta.url).pathname;
const ROOT = new URL("..", import.meta.url).pathname;

function epochMs(text: string): number {
  const digits = /\.(\d+)/.exec(text)?.[1] ?? "";
  return Date.parse(text) + Number(`0.${digits.slice(3) || "0"}`);
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
};

interface Result {
  sockets: number;
  rssMb: number;
  p50: number;
  p99: number;
  seconds: number;
}

async function round(events: boolean): Promise<Result> {
  const server = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--import-map",
      `${ROOT}.ci/offline-imports.json`,
      `${HERE}wait_fake_server.ts`,
      String(WAITS),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  while (!buffered.includes("\n")) buffered += (await reader.read()).value ?? "";
  const { path, ids } = JSON.parse(buffered.split("\n")[0]) as { path: string; ids: string[] };
  const writer = server.stdin.getWriter();
  try {
    // Let the runtime's own sockets for the child process settle first.
    await new Promise((resolve) => setTimeout(resolve, 300));
    (globalThis as { gc?: () => void }).gc?.();
    const rssBefore = Deno.memoryUsage().rss;
    const socketsBefore = openSockets();
    await using client = connect({ socket: path, events, waitSliceMs: 30_000 });
    const lags: number[] = [];
    const started = performance.now();
    const waits = ids.map((id) =>
      client.operations.wait(id, { timeout: 120_000 }).then((final: Operation) => {
        lags.push(performance.timeOrigin + performance.now() - epochMs(final.updated_at));
      })
    );
    // Let every wait subscribe (or start its long-poll), then sample.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const sockets = openSockets() - socketsBefore;
    const rssMb = (Deno.memoryUsage().rss - rssBefore) / 2 ** 20;
    await writer.write(new TextEncoder().encode("finish\n"));
    await Promise.all(waits);
    const seconds = (performance.now() - started) / 1000;
    return { sockets, rssMb, p50: percentile(lags, 0.5), p99: percentile(lags, 0.99), seconds };
  } finally {
    await writer.close();
    await reader.cancel();
    await server.status;
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];

console.log(`${WAITS} concurrent waits on the fake daemon, ${ROUNDS} rounds per mode, medians\n`);
console.log("mode              | sockets | RSS growth | completion→resolve p50 | p99");
console.log("------------------|---------|------------|------------------------|--------");
const summary: Record<string, Result[]> = { events: [], wait: [] };
for (let i = 0; i < ROUNDS; i++) {
  for (const events of i % 2 ? [false, true] : [true, false]) {
    summary[events ? "events" : "wait"].push(await round(events));
  }
}
for (const [mode, results] of Object.entries(summary)) {
  const pick = (key: keyof Result) => median(results.map((r) => r[key]));
  console.log(
    `${(mode === "events" ? "shared events" : "/wait long-polls").padEnd(17)} | ${
      String(pick("sockets")).padStart(7)
    } | ${pick("rssMb").toFixed(1).padStart(7)} MB | ${pick("p50").toFixed(2).padStart(19)} ms | ${
      pick("p99").toFixed(2)
    } ms`,
  );
}
