/**
 * Bounded concurrency: run async tasks with at most a given number in
 * flight at once.
 *
 * @module
 */

import { invalidArgument } from "./validate.ts";

/**
 * Runs tasks with at most `limit` in flight at once; a task waits for a free
 * slot, in the order the tasks were given. `Infinity` runs every task at once.
 */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

/**
 * Makes a {@linkcode Limiter} allowing `limit` tasks in flight at once.
 *
 * @param limit Most tasks in flight at once: a whole number >= 1, or `Infinity`.
 * @returns The limiter; each call resolves or rejects as its task does.
 * @throws {InvalidArgumentError} `limit` is not a whole number >= 1 nor `Infinity`.
 *
 * @example At most two at once
 * ```ts
 * import { boundedConcurrency } from "./concurrency.ts";
 *
 * const limit = boundedConcurrency(2);
 * let running = 0;
 * let most = 0;
 * const task = async () => {
 *   most = Math.max(most, ++running);
 *   await Promise.resolve();
 *   running--;
 * };
 * await Promise.all([limit(task), limit(task), limit(task), limit(task)]);
 * console.log(most); // 2
 * ```
 */
export function boundedConcurrency(limit: number): Limiter {
  if (!(limit === Infinity || Number.isInteger(limit) && limit >= 1)) {
    throw invalidArgument("concurrency", limit, "a whole number >= 1, or Infinity");
  }
  let running = 0;
  const queue: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= limit) await new Promise<void>((resolve) => queue.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      running--;
      queue.shift()?.();
    }
  };
}
