/**
 * How a request fails alike in the Incus and google clients: the one
 * mapping from the abort reason of a request's own controller to its error,
 * and the refusal of a redirect.
 *
 * @module
 */

import { ProtocolError, ResponseTimeoutError } from "./errors.ts";

/** The abort reason of a request stopped by its own time limit. */
export class TimeLimitReached extends Error {}

/** The request an error names. */
export interface RequestFacts {
  /** The HTTP method. */
  method: string;
  /** The path, without the query. */
  path: string;
  /** The socket path or origin the request went to. */
  endpoint: string;
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
 * import { abortError, TimeLimitReached } from "./request_errors.ts";
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
  request: RequestFacts & { limit: number },
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

/**
 * The error for a redirect (3xx), which neither client follows: it names
 * only the origin the `location` points to (its path and query may hold
 * anything), and `why` it is refused.
 *
 * @example
 * ```ts
 * import { redirectError } from "./request_errors.ts";
 *
 * const response = new Response(null, { status: 302, headers: { location: "https://x.example/a?k=1" } });
 * const request = { method: "GET", path: "/1.0", endpoint: "/run/incus.socket" };
 * console.log(redirectError(response, request, "not followed").message);
 * // GET /1.0: /run/incus.socket answered HTTP 302, a redirect to https://x.example; not followed
 * ```
 */
export function redirectError(
  response: { status: number; headers: { get(name: string): string | null } },
  request: RequestFacts,
  why: string,
): ProtocolError {
  const location = response.headers.get("location");
  const absolute = location === null ? null : URL.parse(location);
  const where = location === null
    ? "no location"
    : absolute === null || absolute.origin === "null"
    ? "a path of the same server"
    : absolute.origin;
  const { method, path, endpoint } = request;
  return new ProtocolError(
    `${method} ${path}: ${endpoint} answered HTTP ${response.status}, a redirect to ${where}; ${why}`,
    { status: response.status, method, path, endpoint },
  );
}
