/**
 * Per-request time limits served by one timer.
 *
 * @module
 */

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
 * the next one. It does not keep the process alive (the requests do).
 */
export class Deadlines {
  readonly #pending = new Set<Deadline>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #armedFor = Infinity;

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
  }

  /** Forgets every deadline and stops the timer. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = Infinity;
    this.#pending.clear();
  }

  #arm(at: number): void {
    clearTimeout(this.#timer);
    this.#armedFor = at;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, at - performance.now()));
    this.#timer.unref();
  }

  #fire(): void {
    this.#timer = undefined;
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
