/**
 * The abortable pause every wait, retry and reconnect of this library takes.
 *
 * @module
 */

import { type Clock, systemClock } from "./deadlines.ts";

/**
 * Resolves after `ms` milliseconds, or rejects with `signal`'s reason as soon
 * as it aborts (at once if it already has).
 *
 * It is `@std/async`'s `delay` without the dependency: resolving a package
 * specifier costs every process module-load time, and the library needs
 * nothing else from it. On the system clock it rests on an
 * `AbortSignal.timeout` alarm rather than `setTimeout`, whose first call is
 * slow in a Deno 2.9 process; the alarm keeps the process alive while the
 * pause lasts.
 *
 * @param ms The pause, in milliseconds (clamped to 0 … 2³¹ − 1).
 * @param signal Ends the pause early, rejecting with its reason.
 * @param clock Where the alarm comes from (tests pass a manual one).
 * @returns A promise that settles when the pause ends.
 *
 * @example
 * ```ts
 * import { pause } from "./pause.ts";
 *
 * await pause(10);
 * const stop = new AbortController();
 * stop.abort(new Error("stopped"));
 * await pause(60_000, stop.signal).catch((error) => console.log(error.message));
 * ```
 */
export function pause(ms: number, signal?: AbortSignal, clock: Clock = systemClock): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const done = () => {
      signal?.removeEventListener("abort", abort);
      resolve();
    };
    const silence = clock.alarm(ms, done, true);
    const abort = () => {
      silence(); // the alarm then holds nothing alive
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", abort, { once: true });
  });
}
