/**
 * A clock that moves only when told, for every test of time limits: waits,
 * polls, pauses, request deadlines and fleets run on it through
 * `connect({ ...onClock(clock) })`, so no test races real timers.
 *
 * @module
 */

import type { ConnectOptions } from "../mod.ts";
import { CLOCK, type Clock } from "../src/core/deadlines.ts";

/** Connect options that put a client on `clock` (spread them into the others). */
export function onClock(clock: Clock | undefined): ConnectOptions {
  return (clock === undefined ? {} : { [CLOCK]: clock }) as ConnectOptions;
}

/**
 * `advance()` sets off the alarms that fall due, in order, synchronously;
 * `run()` advances step by step, letting the code under test react
 * between steps, until a promise settles.
 */
export class ManualClock implements Clock {
  time = 0;
  /** Every alarm asked for, with its length. */
  readonly alarms: number[] = [];
  readonly #pending: { at: number; wake: () => void }[] = [];

  now(): number {
    return this.time;
  }

  alarm(ms: number, wake: () => void): () => void {
    this.alarms.push(ms);
    const pending = { at: this.time + Math.max(0, ms), wake };
    this.#pending.push(pending);
    return () => {
      const index = this.#pending.indexOf(pending);
      if (index >= 0) this.#pending.splice(index, 1);
    };
  }

  /** How many alarms are armed: neither gone off nor silenced. */
  get armed(): number {
    return this.#pending.length;
  }

  /** Moves the time `ms` forward, setting off each alarm due on the way at its own time. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = this.#pending.filter((alarm) => alarm.at <= end)
        .sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.#pending.splice(this.#pending.indexOf(due), 1);
      this.time = Math.max(this.time, due.at);
      due.wake();
    }
    this.time = end;
  }

  /**
   * Advances `step` ms at a time (letting I/O and promises run between
   * steps) until `promise` settles; resolves with the clock's time then,
   * and the promise's value or error. Gives up after `max` ms of clock time.
   */
  async run<T>(
    promise: Promise<T>,
    step = 10,
    max = 600_000,
  ): Promise<{ at: number; ok: boolean; value?: T; error?: unknown }> {
    let settled: { ok: boolean; value?: T; error?: unknown } | undefined;
    promise.then(
      (value) => settled = { ok: true, value },
      (error) => settled = { ok: false, error },
    );
    const start = this.time;
    for (;;) {
      // A few real turns: sockets answer, promises chain.
      for (let i = 0; i < 5 && settled === undefined; i++) {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      if (settled !== undefined) return { at: this.time, ...settled };
      if (this.time - start >= max) throw new Error(`still pending after ${max} ms of clock time`);
      this.advance(step);
    }
  }
}
