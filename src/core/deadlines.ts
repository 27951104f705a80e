/**
 * Per-request time limits served by one timer.
 *
 * @module
 */

/** Longest single alarm, ms (~24.8 days: the timer range). */
const MAX_ALARM_MS = 2 ** 31 - 1;

/** Where {@linkcode Deadlines} reads the time and gets its alarms from (tests pass a manual one). */
export interface Clock {
  /** Now, in ms, on a monotonic clock. */
  now(): number;
  /**
   * A signal that aborts in `ms` milliseconds. Only a listener on it may
   * keep the process alive.
   */
  alarm(ms: number): AbortSignal;
}

/** The real clock: `performance.now()` and `AbortSignal.timeout()`. */
export const systemClock: Clock = {
  now: () => performance.now(),
  alarm: (ms) => AbortSignal.timeout(ms),
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
 * process's first `setTimeout` costs ~4 ms to set up in Deno 2.9, a tenth
 * of a one-shot script's first request. An alarm cannot be cancelled, but
 * only its listener keeps the process alive, and that listener is removed
 * as soon as no deadline is pending.
 *
 * An idle alarm is kept and listened to again by the next deadline that
 * falls after it (it wakes early, and re-arms for what is left): one after
 * the other, requests share one alarm instead of leaving a pending timer
 * each (at 3,500 requests a second, 60 s worth of dead timers: 200,000).
 */
export class Deadlines {
  readonly #clock: Clock;
  readonly #pending = new Set<Deadline>();
  #alarm: AbortSignal | undefined;
  #armedFor = Infinity;
  /** Whether `#onAlarm` listens to `#alarm` (which then keeps the process alive). */
  #listening = false;
  readonly #onAlarm = () => {
    this.#listening = false;
    this.#alarm = undefined;
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
    if (this.#alarm?.aborted) this.#drop(); // it went off while nobody listened
    if (deadline.at < this.#armedFor) this.#arm(deadline.at);
    else if (!this.#listening) this.#listen();
    return deadline;
  }

  /** Forgets a deadline (its request ended). */
  clear(deadline: Deadline): void {
    this.#pending.delete(deadline);
    if (this.#pending.size === 0 && this.#listening) {
      // Idle: the alarm stays for the next deadline, but no longer keeps the process alive.
      this.#alarm!.removeEventListener("abort", this.#onAlarm);
      this.#listening = false;
    }
  }

  /** Forgets every deadline and stops the timer. */
  close(): void {
    this.#drop();
    this.#pending.clear();
  }

  #arm(at: number): void {
    this.#drop();
    this.#armedFor = at;
    // Far deadlines wake the alarm early; #fire re-arms for what is left.
    const ms = Math.min(MAX_ALARM_MS, Math.max(0, Math.ceil(at - this.#clock.now())));
    this.#alarm = this.#clock.alarm(ms);
    this.#listen();
  }

  #listen(): void {
    // No `{ once: true }`: a signal aborts once, and converting an options
    // object cost ~1 µs on every request.
    this.#alarm!.addEventListener("abort", this.#onAlarm);
    this.#listening = true;
  }

  #drop(): void {
    if (this.#listening) this.#alarm!.removeEventListener("abort", this.#onAlarm);
    this.#listening = false;
    this.#alarm = undefined;
    this.#armedFor = Infinity;
  }

  #fire(): void {
    this.#armedFor = Infinity;
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
