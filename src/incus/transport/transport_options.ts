/**
 * What a {@linkcode Transport} is made with ({@linkcode TransportTarget}) and
 * what each of its requests takes ({@linkcode RequestInit}).
 *
 * @module
 */

import type { ConnectionTarget } from "./target.ts";
import type { Clock } from "../../core/deadlines.ts";
// deno-lint-ignore no-unused-vars -- for {@linkcode} in the docs
import type { Transport } from "./transport.ts";

/** Where and how to reach the daemon. */
export interface TransportTarget extends Omit<ConnectionTarget, "serverCert"> {
  /**
   * Longest time one request may take before it is abandoned, in ms.
   *
   * @default {60_000}
   */
  requestTimeout?: number;
  /**
   * Largest response body accepted, in bytes (64 MiB).
   *
   * @default {67_108_864}
   */
  maxResponseBytes?: number;
  /**
   * With `url`: other members of the same cluster (HTTPS URLs) to move to
   * when the one in use stops answering; more are learned from
   * `/1.0/cluster/members`. See `failover.ts`.
   */
  members?: readonly string[];
  /** What to do when the server refuses the bearer token (ends the error message). */
  authHint?: string;
  /** The remote named in authentication errors (default: the socket path or URL origin). */
  remoteName?: string;
  /** Where request time limits read the time (default: the system's). */
  clock?: Clock;
}

/** Options of one request. */
export interface RequestInit {
  /** Query string, already encoded, without the leading `?`. */
  query?: string;
  /** JSON body. */
  body?: unknown;
  /** Aborts the request; the request rejects with the signal's reason. */
  signal?: AbortSignal;
  /** This request's own time limit in ms (replaces `requestTimeout`). */
  timeout?: number;
  /**
   * Send it on a new connection of its own instead of the pool's, closed
   * when the answer is read. For `/wait` long-polls, which hold their
   * connection for up to a slice: they leave the pool to short calls and
   * never make it open spare connections (see `UNIX_POOL_IDLE_MS` in connections.ts).
   */
  fresh?: boolean;
}
