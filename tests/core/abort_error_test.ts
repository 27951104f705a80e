/**
 * The one mapping from a request's abort reason to its error
 * (src/core/abort_error.ts), shared by the Incus and google clients.
 */

import { assertEquals, assertInstanceOf, assertStrictEquals } from "@std/assert";
import { abortError, TimeLimitReached } from "../../src/core/abort_error.ts";
import { ResponseTimeoutError } from "../../src/core/errors.ts";

const request = { method: "GET", path: "/1.0", endpoint: "/run/incus/unix.socket", limit: 250 };

Deno.test("abortError: its own time limit is a ResponseTimeoutError; the caller's reason is itself; not aborted, none", () => {
  const cause = new TypeError("fetch aborted");
  const timed = new AbortController();
  timed.abort(new TimeLimitReached());
  const error = abortError(timed.signal, cause, request) as ResponseTimeoutError;
  assertInstanceOf(error, ResponseTimeoutError);
  assertEquals(
    [error.message, error.status, error.method, error.path, error.endpoint, error.cause],
    [
      "GET /1.0: no complete answer from /run/incus/unix.socket within 250 ms " +
      "(raise requestTimeout if the server is just slow)",
      0,
      "GET",
      "/1.0",
      "/run/incus/unix.socket",
      cause,
    ],
  );
  const stopped = new AbortController();
  const reason = new Error("the caller's");
  stopped.abort(reason);
  assertStrictEquals(abortError(stopped.signal, cause, request), reason);
  assertEquals(abortError(new AbortController().signal, cause, request), undefined);
});
