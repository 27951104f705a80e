/**
 * The one mapping from the abort reason of a request's own controller to
 * the error the request throws, shared by the Incus and google clients.
 *
 * @module
 */

import { ResponseTimeoutError } from "./errors.ts";

/** The abort reason of a request stopped by its own time limit. */
export class TimeLimitReached extends Error {}

/** The request {@linkcode abortError} names in its error. */
export interface StoppedRequest {
  /** The HTTP method. */
  method: string;
  /** The path, without the query. */
  path: string;
  /** The socket path or origin the request went to. */
  endpoint: string;
  /** The time limit that was in force, ms. */
  limit: number;
}

/**
 * What a request stopped by `signal` (its own controller's) throws instead
 * of `cause` (what `fetch` or the body's read threw): a
 * {@linkcode ResponseTimeoutError} when it was stopped by
 * {@linkcode TimeLimitReached}, else the abort reason itself (the caller's
 * signal's). `undefined` when `signal` was not aborted: the failure is the
 * request's own.
 *
 * @example
 * ```ts
 * import { abortError, TimeLimitReached } from "./abort_error.ts";
 * import { ResponseTimeoutError } from "./errors.ts";
 * import { assertInstanceOf } from "@std/assert";
 *
 * const request = { method: "GET", path: "/1.0", endpoint: "/run/incus.socket", limit: 5 };
 * const controller = new AbortController();
 * controller.abort(new TimeLimitReached());
 * assertInstanceOf(abortError(controller.signal, undefined, request), ResponseTimeoutError);
 * ```
 */
export function abortError(
  signal: AbortSignal,
  cause: unknown,
  request: StoppedRequest,
): unknown {
  if (!signal.aborted) return undefined;
  if (!(signal.reason instanceof TimeLimitReached)) return signal.reason;
  const { method, path, endpoint, limit } = request;
  return new ResponseTimeoutError(
    `${method} ${path}: no complete answer from ${endpoint} within ${limit} ms ` +
      `(raise requestTimeout if the server is just slow)`,
    { status: 0, method, path, endpoint, cause },
  );
}
