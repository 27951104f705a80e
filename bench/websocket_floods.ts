/**
 * Memory and time to settle of the client's websockets under hostile
 * floods (`tests/faults/_websocket_peers.ts`): each case runs in a child
 * process whose resident memory this process samples from /proc (a stalled
 * event loop cannot hide it) and kills past a cap.
 *
 *   deno run -A --import-map .ci/offline-imports.json bench/websocket_floods.ts [--seconds=5] [--cap-mib=2560]
 *
 * Cases: `client.events()` (the paced reader) under `big-events` (1 MiB
 * events, read one per 100 ms), `empty-continuations` and `pings` (nothing
 * is read; the stream is aborted after the run time); and
 * `client.operations.websocket()` (the same paced reader behind a `WebSocket`
 * face, reading every message as it comes) under the same floods.
 * A child prints: events read, the longest gap between 100 ms ticks, how
 * long the abort (or the error) took to settle the read, and the error.
 */

import { connect } from "../mod.ts";
import { type Flood, floodingDaemon } from "../tests/faults/_websocket_peers.ts";

const FLOODS: Flood[] = ["big-events", "empty-continuations", "pings"];
const MiB = 1024 * 1024;
const arg = (name: string, fallback: number) =>
  Number(Deno.args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);

if (Deno.args[0] === "--child") await child(Deno.args[1] as Flood, Deno.args[2], arg("seconds", 5));
else await parent();

async function parent(): Promise<void> {
  const seconds = arg("seconds", 5);
  const cap = arg("cap-mib", 2560) * MiB;
  // deno-lint-ignore no-console -- the report
  console.log(
    `| reader | flood | peak RSS | events read | longest tick gap | settled after | end |`,
  );
  // deno-lint-ignore no-console -- the report
  console.log(`| --- | --- | --- | --- | --- | --- | --- |`);
  for (const reader of ["events", "operation-websocket"]) {
    for (const flood of FLOODS) {
      const command = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--import-map",
          new URL("../.ci/offline-imports.json", import.meta.url).pathname,
          new URL(import.meta.url).pathname,
          "--child",
          flood,
          reader,
          `--seconds=${seconds}`,
        ],
        stdout: "piped",
        stderr: "null",
      }).spawn();
      let peak = 0;
      let killed = false;
      const limit = performance.now() + (seconds + 20) * 1000;
      const sampler = setInterval(() => {
        const status = (() => {
          try {
            return Deno.readTextFileSync(`/proc/${command.pid}/status`);
          } catch {
            return "";
          }
        })();
        const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
        peak = Math.max(peak, rss);
        if (!killed && (rss > cap || performance.now() > limit)) {
          killed = true;
          command.kill("SIGKILL");
        }
      }, 20);
      const { stdout } = await command.output();
      clearInterval(sampler);
      const line = new TextDecoder().decode(stdout).trim().split("\n").at(-1) ?? "";
      let result: Record<string, unknown> = {};
      try {
        result = JSON.parse(line);
      } catch {
        result = { end: killed ? "killed (cap or time)" : "no report" };
      }
      // deno-lint-ignore no-console -- the report
      console.log(
        `| ${reader} | ${flood} | ${(peak / MiB).toFixed(0)} MiB | ${result.read ?? "-"} | ` +
          `${result.gapMs ?? "-"} ms | ${result.settleMs ?? "-"} ms | ${result.end} |`,
      );
    }
  }
}

async function child(flood: Flood, reader: string, seconds: number): Promise<void> {
  await using daemon = floodingDaemon(flood);
  let gap = 0;
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    gap = Math.max(gap, now - last);
    last = now;
  }, 100);
  const report = (fields: Record<string, unknown>) =>
    // deno-lint-ignore no-console -- read by the parent
    console.log(JSON.stringify({ ...fields, gapMs: Math.round(gap) }));
  const controller = new AbortController();
  let abortedAt = 0;
  const stop = setTimeout(() => {
    abortedAt = performance.now();
    controller.abort();
  }, seconds * 1000);
  let read = 0;
  const settled = () => Math.round(performance.now() - (abortedAt || performance.now()));
  try {
    await using client = connect({ socket: daemon.path, events: false });
    if (reader === "events") {
      try {
        for await (const _ of client.events({ signal: controller.signal })) {
          read++;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        report({ read, settleMs: settled(), end: "aborted" });
      } catch (error) {
        report({
          read,
          settleMs: settled(),
          end: `${(error as Error).name}: ${(error as Error).message}`,
        });
      }
    } else {
      const socket = await client.operations.websocket(crypto.randomUUID(), "secret");
      socket.onmessage = () => read++;
      const closed = new Promise((resolve) => socket.onclose = resolve);
      await Promise.race([closed, new Promise((resolve) => controller.signal.onabort = resolve)]);
      socket.close();
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      report({
        read,
        settleMs: settled(),
        end: socket.readyState === WebSocket.CLOSED ? "closed" : "still open",
      });
    }
  } finally {
    clearTimeout(stop);
    clearInterval(ticker);
  }
  Deno.exit(0);
}
