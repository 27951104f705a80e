/**
 * Per-request time limits served by one timer.
 *
 * @module
 */

/** Longest single alarm, ms (~24.8 days: the timer range). */
const MAX_ALARM_MS = 2 ** 31 - 1;

/**
 * Where {@linkcode Deadlines} reads the time and gets its alarms from
 * (tests pass a manual one).
 */
export interface Clock {
  /** Now, in ms, on a monotonic clock. */
  now(): number;
  /**
   * Calls `wake` once in `ms` milliseconds; the function returned silences
   * it. An alarm never keeps the process alive by itself.
   */
  alarm(ms: number, wake: () => void): () => void;
}

// EventTarget's own methods: AbortSignal's versions ref a timeout signal's
// timer while it has a listener, which would keep the process alive.
const listen = EventTarget.prototype.addEventListener;
const unlisten = EventTarget.prototype.removeEventListener;

/** The real clock: `performance.now()` and `AbortSignal.timeout()`. */
export const systemClock: Clock = {
  now: () => performance.now(),
  alarm: (ms, wake) => {
    const signal = AbortSignal.timeout(ms);
    listen.call(signal, "abort", wake);
    return () => unlisten.call(signal, "abort", wake);
  },
};

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
    // Far deadlines wake the alarm early; #fire re-arms for what is left.
    const ms = Math.min(MAX_ALARM_MS, Math.max(0, Math.ceil(at - this.#clock.now())));
    this.#silence = this.#clock.alarm(ms, this.#onAlarm);
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
