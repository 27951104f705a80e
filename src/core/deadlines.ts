/**
 * Time limits on an injectable clock: {@linkcode timeLimit}, the one way a
 * wait, poll, pause or fleet call is bounded in time, and
 * {@linkcode Deadlines}, per-request limits served by one timer.
 *
 * @module
 */

import { MAX_TIMER_MS } from "./validate.ts";

/**
 * Where time limits read the time and get their alarms from (tests pass a
 * manual one, to a client under {@linkcode CLOCK}).
 *
 * @example
 * ```ts
 * import { type Clock, systemClock } from "./deadlines.ts";
 *
 * const clock: Clock = systemClock;
 * const silence = clock.alarm(1_000, () => console.log("rang"));
 * silence();
 * ```
 */
export interface Clock {
  /** Now, in ms, on a monotonic clock. */
  now(): number;
  /**
   * Calls `wake` once in `ms` milliseconds; the function returned silences
   * it. An alarm keeps the process alive only when `keepAlive` is set.
   */
  alarm(ms: number, wake: () => void, keepAlive?: boolean): () => void;
}

// EventTarget's own methods: AbortSignal's versions ref a timeout signal's
// timer while it has a listener, which keeps the process alive.
const listen = EventTarget.prototype.addEventListener;
const unlisten = EventTarget.prototype.removeEventListener;

/**
 * The key of a client's clock among its connect options (not a public
 * option: for this package's tests, `{ [CLOCK]: manualClock }`).
 */
export const CLOCK: unique symbol = Symbol("incusops.clock");

/** The real clock: `performance.now()` and `AbortSignal.timeout()` alarms. */
export const systemClock: Clock = {
  now: () => performance.now(),
  alarm: (ms, wake, keepAlive = false) => {
    const signal = AbortSignal.timeout(Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(ms))));
    if (!keepAlive) listen.call(signal, "abort", wake);
    else signal.addEventListener("abort", wake, { once: true });
    return () =>
      keepAlive ? signal.removeEventListener("abort", wake) : unlisten.call(signal, "abort", wake);
  },
};

/** One time limit, made by {@linkcode timeLimit}. */
export interface TimeLimit {
  /** The limit, ms. */
  readonly ms: number;
  /** Aborts, with the limit's reason, when it passes. */
  readonly signal: AbortSignal;
  /** Milliseconds left (0 once passed). */
  left(): number;
  /** Stops the limit's alarm (the call it bounds ended). */
  clear(): void;
}

/** Options of {@linkcode timeLimit}. */
export interface TimeLimitOptions {
  /**
   * Where the time and the alarm come from.
   *
   * @default {systemClock}
   */
  clock?: Clock;
  /**
   * Message of the `DOMException` named `TimeoutError` the signal aborts with.
   *
   * @default {"timed out after <ms> ms"}
   */
  message?: string;
  /**
   * Makes the signal's reason instead (e.g. a class of the caller's).
   *
   * @default {undefined} (the `TimeoutError` above)
   */
  reason?: () => unknown;
}

/**
 * A time limit of `ms` milliseconds from now: a signal that aborts when it
 * passes (std's `deadline()`, for any number of promises: race them with
 * `abortable(promise, limit.signal)`). Its alarm keeps the process alive
 * until it passes or `clear()` is called.
 *
 * @param ms The limit, ms (≥ 0).
 * @param options The clock and the reason.
 * @returns The limit.
 *
 * @example
 * ```ts
 * import { timeLimit } from "./deadlines.ts";
 * import { abortable } from "./signals.ts";
 *
 * const limit = timeLimit(10);
 * const never = new Promise<void>(() => {});
 * await abortable(never, limit.signal).catch((error) => console.log(error.name)); // "TimeoutError"
 * limit.clear();
 * ```
 */
export function timeLimit(ms: number, options: TimeLimitOptions = {}): TimeLimit {
  const clock = options.clock ?? systemClock;
  const at = clock.now() + ms;
  const controller = new AbortController();
  const message = options.message ?? `timed out after ${ms} ms`;
  const clear = clock.alarm(
    ms,
    () => controller.abort(options.reason?.() ?? new DOMException(message, "TimeoutError")),
    true,
  );
  return { ms, signal: controller.signal, left: () => Math.max(0, at - clock.now()), clear };
}

/** One pending time limit, made by {@linkcode Deadlines.add}. */
export interface Deadline {
  /** When it passes, on the deadlines' clock (`performance.now()` by default). */
  readonly at: number;
  /** Called once when it passes. */
  readonly expire: () => void;
}

/**
 * The time limits of a client's requests, on one timer. Arming a timer for
 * every request was the client's largest own cost per request (see
 * `bench/`); here a request only joins a set. The timer is armed for the
 * earliest deadline and, when it fires, expires what is due and re-arms for
 * the next one.
 *
 * The timer is an `AbortSignal.timeout()` alarm rather than `setTimeout`: a
 * process's first `setTimeout` costs ~5 ms to set up in Deno 2.9, a tenth
 * of a one-shot script's first request. It is listened to with
 * `EventTarget`'s own `addEventListener`, so it never keeps the process
 * alive: what a deadline guards (a request in flight) does that. Listening
 * through `AbortSignal`'s method refs the timer, and the listener then had
 * to come and go with every request (~3 µs a request, measured).
 *
 * An armed alarm is kept for every later deadline (it wakes early, and
 * re-arms for what is left): one after the other, requests share one alarm
 * instead of leaving a pending timer each (at 3,500 requests a second, 60 s
 * worth of dead timers: 200,000).
 */
export class Deadlines {
  readonly #clock: Clock;
  readonly #pending = new Set<Deadline>();
  #silence: (() => void) | undefined;
  #armedFor = Infinity;
  readonly #onAlarm = () => {
    this.#silence = undefined;
    this.#armedFor = Infinity;
    this.#fire();
  };

  /** @param clock The time source and alarms (the system's by default). */
  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
  }

  /** Calls `expire` in `ms` milliseconds, unless {@linkcode Deadlines.clear} comes first. */
  add(ms: number, expire: () => void): Deadline {
    const deadline = { at: this.#clock.now() + ms, expire };
    this.#pending.add(deadline);
    if (deadline.at < this.#armedFor) this.#arm(deadline.at);
    return deadline;
  }

  /** Forgets a deadline (its request ended). */
  clear(deadline: Deadline): void {
    this.#pending.delete(deadline);
  }

  /** Forgets every deadline and stops the timer. */
  close(): void {
    this.#silence?.();
    this.#silence = undefined;
    this.#armedFor = Infinity;
    this.#pending.clear();
  }

  #arm(at: number): void {
    this.#silence?.();
    this.#armedFor = at;
    // Far deadlines wake the (clamped) alarm early; #fire re-arms for what is left.
    this.#silence = this.#clock.alarm(at - this.#clock.now(), this.#onAlarm);
  }

  #fire(): void {
    const now = this.#clock.now();
    let next = Infinity;
    for (const deadline of this.#pending) {
      if (deadline.at <= now) {
        this.#pending.delete(deadline);
        deadline.expire();
      } else if (deadline.at < next) {
        next = deadline.at;
      }
    }
    if (next !== Infinity) this.#arm(next);
  }
}
