/**
 * Per-request time limits served by one timer.
 *
 * @module
 */

/** Longest single alarm, ms (~24.8 days: the timer range). */
const MAX_ALARM_MS = 2 ** 31 - 1;

/** One pending time limit, made by {@linkcode Deadlines.add}. */
export interface Deadline {
  /** When it passes, on the `performance.now()` clock. */
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
 * as soon as no deadline is pending (a stale alarm then fires into nothing).
 */
export class Deadlines {
  readonly #pending = new Set<Deadline>();
  #alarm: AbortSignal | undefined;
  #armedFor = Infinity;
  readonly #onAlarm = () => {
    this.#alarm = undefined;
    this.#fire();
  };

  /** Calls `expire` in `ms` milliseconds, unless {@linkcode Deadlines.clear} comes first. */
  add(ms: number, expire: () => void): Deadline {
    const deadline = { at: performance.now() + ms, expire };
    this.#pending.add(deadline);
    if (deadline.at < this.#armedFor) this.#arm(deadline.at);
    return deadline;
  }

  /** Forgets a deadline (its request ended). */
  clear(deadline: Deadline): void {
    this.#pending.delete(deadline);
    if (this.#pending.size === 0) this.#disarm();
  }

  /** Forgets every deadline and stops the timer. */
  close(): void {
    this.#disarm();
    this.#pending.clear();
  }

  #arm(at: number): void {
    this.#disarm();
    this.#armedFor = at;
    // Far deadlines wake the alarm early; #fire re-arms for what is left.
    const ms = Math.min(MAX_ALARM_MS, Math.max(0, Math.ceil(at - performance.now())));
    this.#alarm = AbortSignal.timeout(ms);
    this.#alarm.addEventListener("abort", this.#onAlarm, { once: true });
  }

  #disarm(): void {
    this.#alarm?.removeEventListener("abort", this.#onAlarm);
    this.#alarm = undefined;
    this.#armedFor = Infinity;
  }

  #fire(): void {
    this.#armedFor = Infinity;
    const now = performance.now();
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
