/**
 * The abortable pause every wait, retry and reconnect of this library takes.
 *
 * @module
 */

import { MAX_TIMER_MS } from "./validate.ts";

/**
 * Resolves after `ms` milliseconds, or rejects with `signal`'s reason as soon
 * as it aborts (at once if it already has).
 *
 * It is `@std/async`'s `delay` without the dependency: resolving a package
 * specifier costs every process module-load time, and the library needs
 * nothing else from it. It rests on an `AbortSignal.timeout` alarm rather
 * than `setTimeout`, whose first call is slow in a Deno 2.9 process; the
 * alarm keeps the process alive only while this pause listens to it.
 *
 * @param ms The pause, in milliseconds (clamped to 0 … 2³¹ − 1).
 * @param signal Ends the pause early, rejecting with its reason.
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
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const alarm = AbortSignal.timeout(Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(ms))));
    const done = () => {
      signal?.removeEventListener("abort", abort);
      resolve();
    };
    const abort = () => {
      alarm.removeEventListener("abort", done); // the alarm then holds nothing alive
      reject(signal!.reason);
    };
    alarm.addEventListener("abort", done);
    signal?.addEventListener("abort", abort);
  });
}
