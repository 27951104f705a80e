// deno-lint-ignore-file no-console -- a benchmark client reports on stdout
/**
 * The loop every separate-process client of `bench/report.ts` runs: a
 * warm-up, then `calls` calls `concurrency` at a time, timed; prints
 * `{"seconds": ..., "calls": N}` as the peers do.
 *
 * Usage: `<client>.ts get|list SOCKET ID CALLS CONCURRENCY`
 *
 * @module
 */

/** What a client script is given. */
export interface ClientArgs {
  mode: "get" | "list";
  socket: string;
  id: string;
  calls: number;
  concurrency: number;
}

/** Parses the client's command line. */
export function clientArgs(): ClientArgs {
  const [mode, socket, id, calls, concurrency] = Deno.args;
  if (mode !== "get" && mode !== "list") throw new Error(`mode get|list, not ${mode}`);
  return { mode, socket, id, calls: Number(calls), concurrency: Number(concurrency ?? "1") };
}

/** Warm-up calls before the timed ones (the same in every client, peers included). */
export const WARM_UP_CALLS = 200;

/** Runs `calls` calls of `call`, `concurrency` at a time. */
export async function callMany(
  call: () => Promise<unknown>,
  calls: number,
  concurrency: number,
): Promise<void> {
  let left = calls;
  const worker = async () => {
    while (left > 0) {
      left--;
      await call();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** Warms up, times the calls and prints the result line. */
export async function timeCalls(call: () => Promise<unknown>, args: ClientArgs): Promise<void> {
  await callMany(call, Math.min(WARM_UP_CALLS, args.calls), args.concurrency);
  const started = performance.now();
  await callMany(call, args.calls, args.concurrency);
  const seconds = (performance.now() - started) / 1000;
  console.log(JSON.stringify({ seconds, calls: args.calls }));
}
