/**
 * Which failures of an idempotent Incus/LXD call are worth another attempt,
 * and the Incus client's default retry policy.
 *
 * @module
 */

import {
  causeText,
  ConnectionError,
  IncusOpsError,
  ProtocolError,
  ResponseTimeoutError,
} from "../../core/errors.ts";
import { DEFAULT_RETRY, type RetryPolicy } from "../../core/retry.ts";

/**
 * OS errors of a daemon that is restarting: connection refused (111),
 * reset (104), broken pipe (32), no such socket (2), and a connection
 * closed before the answer was complete.
 */
const RESTARTING =
  /os error (?:111|104|32|2)\b|connection closed before message completed|unexpected eof/i;

/** Incus answers a `/wait` slice that ran out with this error text. */
const DEADLINE = /deadline exceeded/i;

/**
 * Whether `error` is Incus's answer to a `/wait` slice that ran out
 * ("context deadline exceeded"): the operation is still running.
 *
 * @param error Any thrown value.
 * @returns `true` for that answer.
 */
export function isDeadlineExceeded(error: unknown): boolean {
  return error instanceof IncusOpsError && !(error instanceof ConnectionError) &&
    DEADLINE.test(error.message);
}

/**
 * Whether `error` is transient for an idempotent call: HTTP 502, 503 or
 * 504, or, once the daemon has answered this client (`answeredBefore`), a
 * refused, reset or vanished connection: the daemon is restarting. Before
 * its first answer these fail at once, since a wrong path or a stopped
 * daemon is likelier, and the message says how to fix it. A request that
 * passed `requestTimeout`, a closed client, permissions and garbage answers
 * are never transient.
 */
export function isTransient(error: unknown, answeredBefore: boolean): boolean {
  if (!(error instanceof IncusOpsError)) return false;
  if (!(error instanceof ConnectionError)) {
    // Incus answers a `/wait` slice that ran out with "context deadline
    // exceeded": an answer ("still running"), not a failure to retry.
    if (isDeadlineExceeded(error)) return false;
    return error.status === 502 || error.status === 503 || error.status === 504;
  }
  if (!answeredBefore || error instanceof ProtocolError || error instanceof ResponseTimeoutError) {
    return false;
  }
  return error.cause !== undefined && RESTARTING.test(causeText(error.cause));
}

/**
 * The Incus client's default retry policy for idempotent calls (GET and
 * `/wait`): google-api-core's backoff (100 ms, ×1.3, at most 60 s between
 * attempts) with a 60 s budget instead of api_core's 600 s, since a local
 * daemon down for a minute is down. `predicate` is filled in by the client.
 */
export const INCUS_RETRY: Readonly<Omit<RetryPolicy, "predicate">> = Object.freeze({
  ...DEFAULT_RETRY,
  deadline: 60_000,
});
