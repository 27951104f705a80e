/**
 * Helpers for `AbortSignal`s: race a promise against a signal, and combine a
 * caller's signal with a timeout.
 *
 * @module
 */

/**
 * Resolves or rejects as `promise` does, or rejects with the signal's reason
 * as soon as `signal` aborts. The listener is removed once either settles;
 * `promise` itself is not cancelled.
 *
 * @param promise The promise to race.
 * @param signal The signal that may win.
 * @returns `promise`'s outcome, or the signal's reason.
 *
 * @example
 * ```ts
 * import { abortable } from "./signals.ts";
 *
 * const never = new Promise<void>(() => {});
 * const controller = new AbortController();
 * controller.abort(new Error("stop"));
 * await abortable(never, controller.signal).catch((e) => console.log(e.message)); // "stop"
 * ```
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/**
 * The signals that are given, combined: `undefined` when none is, the one
 * signal itself when only one is, else `AbortSignal.any()`.
 *
 * @param signals Signals, any of them `undefined`.
 * @returns A signal that aborts with the first one's reason, or `undefined`.
 *
 * @example
 * ```ts
 * import { anySignal } from "./signals.ts";
 *
 * const controller = new AbortController();
 * const signal = anySignal(controller.signal, undefined);
 * console.log(signal === controller.signal); // true
 * ```
 */
export function anySignal(...signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const given = signals.filter((signal): signal is AbortSignal => signal !== undefined);
  if (given.length <= 1) return given[0];
  return AbortSignal.any(given);
}
