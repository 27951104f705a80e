/**
 * Retrying a call with exponential backoff, the way google-api-core's
 * `Retry` does it: a first pause of `initial` ms, multiplied by `multiplier`
 * after each failure up to `max`, only for errors `predicate` accepts, and
 * giving up once the next attempt would start after `deadline` ms.
 *
 * It is built on the shared waiting core ({@linkcode pollUntilDone} in
 * `poll.ts`): each attempt is one step, so the caller's `signal` and
 * `timeout`, the backoff and its jitter work exactly as in every wait of
 * this library, and the pauses are the library's abortable `pause`.
 *
 * Why not `@std/async/retry`: it counts attempts but has no overall
 * deadline (api_core's policy is a 600 s budget, and a pause must not run
 * past it), it wraps the final error in a `RetryError` (callers here tell
 * errors apart by class: `instanceof RpcError`, `ResponseTimeoutError`, ...),
 * it has no per-call timeout, and its `signal`/`isRetriable` options only
 * exist in recent 1.x releases while `deno.json` accepts `^1.0.13`.
 *
 * @module
 */

import { InvalidArgumentError } from "./errors.ts";
import { invalidArgument } from "./validate.ts";
import {
  backoffDelay,
  type PollOptions,
  pollUntilDone,
  type StepContext,
  type StepResult,
} from "./poll.ts";

/**
 * When and how often a failed call is tried again. Both clients start from
 * google-api-core's backoff (100 ms, ×1.3, at most 60 s between attempts,
 * full jitter); the budget (`deadline`) differs: 60 s for the Incus client
 * (`connect()`: a local daemon down for a minute is down), 600 s for the
 * google.longrunning client (`connectLongRunning()`, api_core's own, also
 * exported there as `DEFAULT_RETRY`). A `retry` option replaces only the
 * fields it names.
 *
 * @example Retry for at most 10 s, and say so
 * ```ts
 * import { connect, type RetryOption } from "@incusops/operations";
 * import { FakeDaemon } from "@incusops/operations/testing";
 *
 * const retry: RetryOption = {
 *   deadline: 10_000,
 *   onRetry: ({ attempt, delay }) => console.log(`attempt ${attempt} failed, next in ${delay} ms`),
 * };
 * await using daemon = await FakeDaemon.start();
 * await using client = connect({ socket: daemon.path, retry });
 * console.log(await client.operations.list({ retry: false })); // this call: never retried
 * ```
 */
export interface RetryPolicy {
  /**
   * Pause before the second attempt, ms.
   *
   * @default {100}
   */
  initial: number;
  /**
   * Factor applied to the pause after each failed attempt (≥ 1).
   *
   * @default {1.3}
   */
  multiplier: number;
  /**
   * Longest pause, ms.
   *
   * @default {60_000}
   */
  max: number;
  /**
   * Retry budget, ms from the first attempt: no attempt starts after it,
   * and a retry whose pause would end after it is not made (the last error
   * is thrown instead). `Infinity` for none. The Incus client's default is
   * 60 000, the google.longrunning client's 600 000 (api_core's).
   *
   * @default {60_000}
   */
  deadline: number;
  /**
   * Randomise each pause between 0 and its value ("full jitter", as
   * api_core does), so many clients do not retry in lockstep.
   *
   * @default {true}
   */
  jitter: boolean;
  /**
   * Most attempts in all, the first included. Unset: no limit (the
   * `deadline` bounds the retries).
   *
   * @default {undefined}
   */
  maxAttempts?: number;
  /** Whether an error is worth another attempt (transient). */
  predicate: (error: unknown) => boolean;
  /**
   * Called before each pause with the error, the attempt that failed
   * (0-based) and the pause's upper bound in ms; for logging. It must not
   * throw.
   */
  onRetry?: (info: RetryInfo) => void;
}

/** What {@linkcode RetryPolicy.onRetry} is told. */
export interface RetryInfo {
  /** The error of the failed attempt. */
  error: unknown;
  /** The failed attempt, 0-based. */
  attempt: number;
  /** Upper bound of the pause before the next attempt, ms (before jitter). */
  delay: number;
}

/**
 * How a caller overrides a policy: `false` turns retrying off, an object
 * replaces some fields (for example a different `predicate` or `deadline`).
 */
export type RetryOption = Partial<RetryPolicy> | false;

/**
 * google-api-core's defaults, without a predicate (each client brings its
 * own): 100 ms, ×1.3, at most 60 s apart, 600 s in all, full jitter. The
 * google.longrunning client uses them as they are; the Incus client with a
 * 60 s `deadline`.
 *
 * @example
 * ```ts
 * import { DEFAULT_RETRY } from "@incusops/operations/google";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(DEFAULT_RETRY.deadline, 600_000);
 * ```
 */
export const DEFAULT_RETRY: Readonly<Omit<RetryPolicy, "predicate">> = Object.freeze({
  initial: 100,
  multiplier: 1.3,
  max: 60_000,
  deadline: 600_000,
  jitter: true,
});

/**
 * Options of {@linkcode retrying}: the caller's `signal`, and a `timeout`
 * (with its `timeoutMessage`) for the whole call, every attempt and pause.
 */
export type RetryingOptions = Pick<PollOptions, "signal" | "timeout" | "timeoutMessage">;

/**
 * Builds the policy in force from `base` and the overrides in order (client
 * option, then call option, ...): `false` turns retrying off, an object
 * turns it back on and replaces the fields it names, `undefined` changes
 * nothing. Returns `false` for "do not retry". Throws
 * {@linkcode InvalidArgumentError} for a bad field, before anything is sent.
 *
 * @example
 * ```ts
 * import { DEFAULT_RETRY, resolveRetry, type RetryOption } from "./retry.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const isTransient = (error: unknown) => error instanceof TypeError;
 * const clientOption: RetryOption = { deadline: 30_000 };
 * const callOption: RetryOption = false;
 * const base = { ...DEFAULT_RETRY, predicate: isTransient };
 * assertEquals(resolveRetry(base, clientOption, callOption), false);
 * const policy = resolveRetry(base, clientOption, undefined);
 * assertEquals(policy !== false && policy.deadline, 30_000);
 * ```
 */
export function resolveRetry(
  base: RetryPolicy,
  ...overrides: (RetryOption | undefined)[]
): RetryPolicy | false {
  let merged: RetryPolicy = base;
  let enabled = true;
  for (const override of overrides) {
    if (override === undefined) continue;
    enabled = override !== false; // the last option given decides
    if (override === false) continue;
    if (override === null || typeof override !== "object") {
      throw invalidArgument("retry", override, "false or a retry policy object");
    }
    merged = { ...merged, ...override };
  }
  checkBackoff("retry", merged);
  const { deadline, maxAttempts } = merged;
  if (typeof deadline !== "number" || Number.isNaN(deadline) || deadline < 0) {
    throw invalidArgument("retry.deadline", deadline, "milliseconds >= 0 (Infinity for none)");
  }
  if (maxAttempts !== undefined && (!Number.isInteger(maxAttempts) || maxAttempts < 1)) {
    throw invalidArgument("retry.maxAttempts", maxAttempts, "an integer >= 1");
  }
  if (typeof merged.predicate !== "function") {
    throw new InvalidArgumentError(
      "invalid retry.predicate: expected a function (error) => boolean",
    );
  }
  return enabled ? merged : false;
}

/**
 * Checks the pauses of a backoff (`retry`, `polling`): `initial` and `max`
 * in milliseconds, `multiplier` ≥ 1; errors name the fields `<name>.<field>`.
 */
export function checkBackoff(
  name: string,
  backoff: Pick<RetryPolicy, "initial" | "max" | "multiplier">,
): void {
  for (const key of ["initial", "max"] as const) {
    const value = backoff[key];
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw invalidArgument(`${name}.${key}`, value, "milliseconds, a finite number >= 0");
    }
  }
  const { multiplier } = backoff;
  if (typeof multiplier !== "number" || !Number.isFinite(multiplier) || multiplier < 1) {
    throw invalidArgument(`${name}.multiplier`, multiplier, "a number >= 1");
  }
}

/**
 * Calls `fn` until it resolves, retrying under `policy` while `policy.predicate`
 * accepts the error, the attempts and the deadline allow it. Resolves with
 * `fn`'s value; rejects with the last error when it gives up (the error
 * itself, not a wrapper), with a `DOMException` named `TimeoutError` when
 * `options.timeout` passes, and with the signal's reason when
 * `options.signal` aborts. With `policy` `false`, `fn` is called once
 * (under the same timeout and signal).
 *
 * `fn` gets the step context of the waiting core: `attempt` (0-based),
 * `signal` (aborts on the caller's signal or the timeout: pass it to
 * `fetch`) and `remaining` (ms left of `timeout`).
 *
 * @example
 * ```ts
 * import { DEFAULT_RETRY, retrying } from "./retry.ts";
 * import { assertEquals } from "@std/assert";
 *
 * class Unavailable extends Error {}
 * let calls = 0;
 * const value = await retrying(
 *   ({ attempt }) => ++calls < 3 ? Promise.reject(new Unavailable(`try ${attempt}`)) : Promise.resolve("ok"),
 *   { ...DEFAULT_RETRY, initial: 1, predicate: (e) => e instanceof Unavailable },
 *   { signal: AbortSignal.timeout(30_000), timeout: 30_000 },
 * );
 * assertEquals([value, calls], ["ok", 3]);
 * ```
 */
export function retrying<T>(
  fn: (context: StepContext) => Promise<T>,
  policy: RetryPolicy | false,
  options: RetryingOptions = {},
): Promise<T> {
  const started = performance.now();
  const backoff = policy === false ? DEFAULT_RETRY : policy;
  return pollUntilDone<T>(async (context): Promise<StepResult<T>> => {
    try {
      return { done: true, value: await fn(context) };
    } catch (error) {
      if (policy === false || context.signal.aborted || !policy.predicate(error)) throw error;
      const attempt = context.attempt;
      if (policy.maxAttempts !== undefined && attempt + 1 >= policy.maxAttempts) throw error;
      const delay = backoffDelay({ ...policy, jitter: false }, attempt);
      if (performance.now() - started + delay > policy.deadline) throw error;
      policy.onRetry?.({ error, attempt, delay });
      return { done: false };
    }
  }, { ...options, backoff });
}

/**
 * Goes on retrying after a first attempt the caller made itself and that
 * failed with `firstError` (so the happy path pays nothing for retrying):
 * throws `firstError` at once if `policy` is `false` or does not accept
 * it, else pauses per `policy` and calls `fn` again as {@linkcode retrying}
 * does, the budget counted from now.
 *
 * @example
 * ```ts
 * import { DEFAULT_RETRY, retryingAfter } from "./retry.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const policy = { ...DEFAULT_RETRY, initial: 1, predicate: () => true };
 * let calls = 0;
 * const get = () => ++calls === 1 ? Promise.reject(new Error("reset")) : Promise.resolve(calls);
 * let result: number;
 * try {
 *   result = await get(); // the happy path pays nothing for retrying
 * } catch (error) {
 *   result = await retryingAfter(error, () => get(), policy);
 * }
 * assertEquals(result, 2);
 * ```
 */
export function retryingAfter<T>(
  firstError: unknown,
  fn: (context: StepContext) => Promise<T>,
  policy: RetryPolicy | false,
  options: RetryingOptions = {},
): Promise<T> {
  if (policy === false || options.signal?.aborted || !policy.predicate(firstError)) {
    return Promise.reject(firstError);
  }
  return retrying(
    (context) => context.attempt === 0 ? Promise.reject(firstError) : fn(context),
    policy,
    options,
  );
}
