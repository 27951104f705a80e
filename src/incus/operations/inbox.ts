/**
 * What the shared events connection tells each subscriber ({@linkcode Notice}),
 * and the subscriber's queue of them ({@linkcode Inbox}).
 *
 * @module
 */

import type { Operation } from "../operation.ts";

/**
 * What a subscriber is told: a new state of its operation; `resync` (the
 * connection was re-established and events may have been lost: read the
 * operation again); `lost` (no events any more: fall back to polling).
 */
export type Notice =
  | { kind: "update"; operation: Operation }
  | { kind: "resync" }
  | { kind: "lost" };

/**
 * A subscriber's queue of notices: `take()` resolves with the next one, or
 * rejects with the signal's reason.
 */
export class Inbox {
  readonly #notices: Notice[] = [];
  #waiting: ((notice: Notice) => void) | undefined;

  /** Adds a notice (the hub's listener). */
  readonly push = (notice: Notice): void => {
    const waiting = this.#waiting;
    if (waiting !== undefined) {
      this.#waiting = undefined;
      waiting(notice);
    } else this.#notices.push(notice);
  };

  /** The next notice. */
  take(signal: AbortSignal): Promise<Notice> {
    const notice = this.#notices.shift();
    if (notice !== undefined) return Promise.resolve(notice);
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<Notice>((resolve, reject) => {
      const onAbort = () => {
        this.#waiting = undefined;
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#waiting = (next) => {
        signal.removeEventListener("abort", onAbort);
        resolve(next);
      };
    });
  }
}
