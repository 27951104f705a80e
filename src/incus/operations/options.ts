/**
 * The options of `client.operations`' calls, and the waiting loop's knobs.
 *
 * @module
 */

import type { Backoff } from "../../core/poll.ts";
import type { Clock } from "../../core/deadlines.ts";
import type { RetryOption } from "../../core/retry.ts";
import { INCUS_DEFAULTS } from "../defaults.ts";
import type { Operation } from "../operation.ts";
import type { Progress } from "../progress.ts";
import type { HubSettings } from "./event_hub.ts";
import type { MemberListOptions } from "../cluster.ts";
import type { QueueLimits } from "../event_types.ts";

/**
 * Options every call takes.
 *
 * @example
 * ```ts
 * import type { CallOptions } from "@incusops/operations";
 *
 * const options: CallOptions = { project: "default", signal: AbortSignal.timeout(5_000) };
 * console.log(options.project);
 * ```
 */
export interface CallOptions {
  /** Aborts the call; it rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * The project to act in: else the project of the `Operation` object the
   * call was given, else the client's `project`.
   *
   * @default {undefined} (the server's default project)
   */
  project?: string;
  /**
   * This call's retry policy, over the client's (`connect({ retry })`):
   * fields to replace, or `false` for none. Only idempotent calls (GET and
   * `/wait`) are ever retried.
   *
   * @default {undefined} (the client's policy)
   */
  retry?: RetryOption;
}

/**
 * Options of `client.operations.list()` and `listByStatus()`.
 *
 * @example
 * ```ts
 * import type { ListOptions } from "@incusops/operations";
 *
 * const options: ListOptions = { allProjects: true };
 * console.log(options);
 * ```
 */
export interface ListOptions extends CallOptions, MemberListOptions {
  /**
   * `1`: full operations; `0`: only their ids.
   *
   * @default {1}
   */
  recursion?: 0 | 1;
  /**
   * List the operations of every project.
   *
   * @default {false}
   */
  allProjects?: boolean;
}

/**
 * What `client.operations.list(options)` resolves with: ids (`string[]`)
 * for `recursion: 0`, operations for `1` or none, either when the
 * recursion is only known at run time (`0 | 1`).
 *
 * @typeParam O The options' type.
 *
 * @example
 * ```ts
 * import type { ListResult } from "@incusops/operations";
 *
 * const ids: ListResult<{ recursion: 0 }> = ["8f3a0a52-0c4e-4a4c-9a3e-6d0f2b1c9e11"];
 * console.log(ids.length); // 1
 * ```
 */
// The recursion is read through `keyof`: options without one (`{ project }`)
// are not assignable to the all-optional `{ recursion?: 1 }` (a weak type).
export type ListResult<O extends ListOptions> =
  ["recursion" extends keyof O ? O["recursion"] : undefined] extends [0] ? string[]
    : ["recursion" extends keyof O ? O["recursion"] : undefined] extends [1 | undefined]
      ? Operation[]
    : Operation[] | string[];

/**
 * Options of `client.operations.wait()`.
 *
 * Waits are push-based: every wait of a client shares one `/1.0/events`
 * connection per project (subscribe, read the operation once, resolve on its
 * final event; after a reconnect, read it again). Without events (refused,
 * lost, or `connect({ events: false })`) a wait is made of server-side
 * `/wait?timeout=` slices, or, with `onProgress`, of reads every `pollMs` so
 * that every state is reported. Errors name the request that read the final
 * state (`method`, `path`); `OperationFailedError` and
 * `OperationCancelledError` carry the operation's own `operationStatusCode`
 * (400, 401).
 *
 * @example
 * ```ts
 * import type { WaitOptions } from "@incusops/operations";
 *
 * const options: WaitOptions = {
 *   timeout: 60_000,
 *   cancelOnAbort: true,
 *   onProgress: (progress) => console.log(progress.percent),
 * };
 * console.log(options.timeout);
 * ```
 */
export interface WaitOptions extends CallOptions {
  /**
   * How long to wait, in ms. When it passes the wait rejects with an
   * `OperationTimeoutError` (`name` "TimeoutError") carrying the id and the
   * last state seen; the operation keeps running unless `cancelOnAbort`.
   *
   * @default {undefined} (no limit)
   */
  timeout?: number;
  /**
   * When the wait gives up (`signal` aborts or `timeout` passes), also
   * cancel the operation on the server (`DELETE`), best effort: the wait
   * still rejects with the signal's reason or the `OperationTimeoutError`,
   * with what the cancel threw, if anything, as its `cause`.
   *
   * @default {false}
   */
  cancelOnAbort?: boolean;
  /**
   * Called with the operation's parsed progress each time it changes
   * (`metadata.progress` or a `*_progress` text), and with the operation.
   * It must not throw (what it throws is ignored). Without events the wait
   * then reads the operation every `pollMs`.
   */
  onProgress?: (progress: Progress, operation: Operation) => void;
  /**
   * Without events (`connect({ events: false })`, or events unavailable),
   * how often a wait with `onProgress` reads the operation, ms: every state
   * lasting longer is reported.
   *
   * @default {500}
   */
  pollMs?: number;
  /**
   * On a cluster: how long the wait keeps looking (every second) while the
   * member running the operation cannot be reached, e.g. while it
   * restarts, ms. Then it rejects with `MemberUnreachableError` naming the
   * member and its address; a member back in time gives the final state, or
   * `OperationNotFoundError` if the operation died with it. Always within
   * `timeout` and `signal`.
   *
   * @default {60_000} (the client's `memberGraceMs`)
   */
  memberGraceMs?: number;
}

/**
 * Options of `waitAll()`, `waitAllSettled()`, `waitAny()` and `waitRace()`:
 * `timeout` and `signal` bound the whole call. Every operation is checked
 * before anything is sent; at most `concurrency` are waited for at once.
 * When a call settles before every wait (a failure for `waitAll`, a success
 * for `waitAny`, the first final state for `waitRace`), it stops *waiting*
 * for the others: they keep running on the server (unless `cancelOnAbort`
 * and the call was aborted or timed out).
 *
 * @example
 * ```ts
 * import type { WaitManyOptions } from "@incusops/operations";
 *
 * const options: WaitManyOptions = { concurrency: 100, timeout: 120_000 };
 * console.log(options.concurrency);
 * ```
 */
export interface WaitManyOptions extends WaitOptions {
  /**
   * Most operations waited for at once (a whole number >= 1).
   *
   * @default {Infinity}
   */
  concurrency?: number;
}

/**
 * Options of `client.operations.watch()`. News of the operation not yet
 * read is kept up to `maxQueued` events and `maxQueuedBytes`, as in an
 * event stream: a watcher further behind gets a `ProtocolError` naming the
 * bound and the option, and the watch ends.
 *
 * @example
 * ```ts
 * import type { WatchOptions } from "@incusops/operations";
 *
 * const options: WatchOptions = { pollMs: 250 };
 * console.log(options.pollMs);
 * ```
 */
export interface WatchOptions extends CallOptions, QueueLimits {
  /**
   * Without events, how often the operation is read, ms: every state
   * lasting longer is reported.
   *
   * @default {500}
   */
  pollMs?: number;
}

/** How `client.operations` is set up; made by `connect()`. */
export interface OperationsSettings {
  /** The client's default project. */
  project?: string;
  /** Waiting-loop knobs. */
  tuning?: Partial<WaitTuning>;
  /** The client's default member grace of waits, ms (`connect({ memberGraceMs })`). */
  memberGraceMs?: number;
  /** The client's default cluster member for lists (`connect({ target })`). */
  target?: string;
  /** Where waits read the time and set alarms (`connect({ clock })`). */
  clock?: Clock;
}

/** How the waiting loop behaves; internal knobs with sensible defaults. */
export interface WaitTuning {
  /**
   * Longest server-side `/wait` slice, ms.
   *
   * @default {30000}
   */
  waitSliceMs: number;
  /** Pause between slices that returned early (a server that does not wait). */
  backoff: Backoff;
  /**
   * Wait on the shared events connection, else on `/wait` slices only.
   *
   * @default {true}
   */
  events: boolean;
  /** Timing of the shared events connection. */
  hub?: Partial<HubSettings>;
}

/** The waiting loop's defaults. */
export const DEFAULT_TUNING: WaitTuning = {
  waitSliceMs: INCUS_DEFAULTS.waitSliceMs,
  backoff: { initial: 100, multiplier: 1.3, max: 5_000, jitter: false },
  events: true,
};
