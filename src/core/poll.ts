/**
 * The waiting core shared by every client: repeat a step until it reports
 * the final value, under one overall deadline and the caller's signal, with
 * backoff between steps.
 *
 * @module
 */

import { type Clock, systemClock, timeLimit } from "./deadlines.ts";
import { pause } from "./pause.ts";
import { anySignal } from "./signals.ts";
import { duration } from "./validate.ts";

/**
 * What one step of a wait found. A step that is not done may say
 * `pause: false` to go on at once (a long poll that used up its time);
 * otherwise the loop pauses per `backoff` and `pauseIfFasterThan`.
 */
export type StepResult<T> = { done: true; value: T } | { done: false; pause?: boolean };

/** What a step gets: how much time is left and the signal to honour. */
export interface StepContext {
  /** Milliseconds left before the overall deadline, `undefined` without one. */
  remaining: number | undefined;
  /** Aborts when the caller's signal aborts or the deadline passes. */
  signal: AbortSignal;
  /** How many steps ran before this one. */
  attempt: number;
}

/** Exponential backoff between steps. */
export interface Backoff {
  /** First delay, ms. */
  initial: number;
  /** Factor applied after each delay. */
  multiplier: number;
  /** Largest delay, ms. */
  max: number;
  /** Randomise each delay between 0 and its value ("full jitter"). */
  jitter?: boolean;
}

/** Options of {@linkcode pollUntilDone}. */
export interface PollOptions {
  /** Overall limit in ms; then the wait rejects with a `TimeoutError`. */
  timeout?: number;
  /** Aborts the wait; it rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Delays between steps. */
  backoff: Backoff;
  /**
   * For long-polling steps: only pause between steps that returned sooner
   * than this many ms (a server that answers at once is not hammered).
   */
  pauseIfFasterThan?: number;
  /** Message of the `TimeoutError`. */
  timeoutMessage?: string;
  /**
   * Where the time and the pauses come from.
   *
   * @default {systemClock}
   */
  clock?: Clock;
}

/** The delay before step `attempt` (0-based) under `backoff`. */
export function backoffDelay(backoff: Backoff, attempt: number): number {
  const base = Math.min(backoff.max, backoff.initial * backoff.multiplier ** attempt);
  return backoff.jitter ? Math.random() * base : base;
}

/**
 * Calls `step` until it reports `done`, and resolves with its value. Rejects
 * with a `DOMException` named `TimeoutError` when `timeout` passes, with the
 * signal's reason when `signal` aborts, and with whatever `step` throws.
 */
export async function pollUntilDone<T>(
  step: (context: StepContext) => Promise<StepResult<T>>,
  options: PollOptions,
): Promise<T> {
  const timeout = duration("timeout", options.timeout);
  options.signal?.throwIfAborted();
  const clock = options.clock ?? systemClock;
  const limit = timeout === undefined
    ? undefined
    : timeLimit(timeout, { clock, message: options.timeoutMessage });
  const stopped = anySignal(options.signal, limit?.signal) ?? new AbortController().signal;
  try {
    let pauses = 0;
    for (let attempt = 0;; attempt++) {
      const started = clock.now();
      const remaining = limit?.left();
      const result = await step({ remaining, signal: stopped, attempt }).catch((error) => {
        throw stopped.aborted ? stopped.reason : error;
      });
      if (result.done) return result.value;
      stopped.throwIfAborted();
      const took = clock.now() - started;
      if (
        result.pause === false ||
        options.pauseIfFasterThan !== undefined && took >= options.pauseIfFasterThan
      ) {
        pauses = 0;
        continue;
      }
      await pause(backoffDelay(options.backoff, pauses++), stopped, clock);
    }
  } finally {
    limit?.clear();
  }
}
