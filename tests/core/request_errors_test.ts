/**
 * How a request fails alike in both clients (src/core/request_errors.ts):
 * the mapping from its abort reason to its error, a refused redirect.
 */

import {
  assertEquals,
  assertInstanceOf,
  assertStrictEquals,
  assertStringIncludes,
} from "@std/assert";
import { abortError, redirectError, TimeLimitReached } from "../../src/core/request_errors.ts";
import { ProtocolError, ResponseTimeoutError } from "../../src/core/errors.ts";

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

Deno.test("redirectError: names only the origin the location points to, never its path or query", () => {
  const redirect = (location?: string) =>
    redirectError(
      new Response(null, { status: 307, headers: location ? { location } : {} }),
      request,
      "not followed",
    );
  const away = redirect("https://elsewhere.example:8443/steal?token=s3cret");
  assertInstanceOf(away, ProtocolError);
  assertEquals(
    [away.message, away.status, away.method, away.path, away.endpoint],
    [
      "GET /1.0: /run/incus/unix.socket answered HTTP 307, a redirect to " +
      "https://elsewhere.example:8443; not followed",
      307,
      "GET",
      "/1.0",
      "/run/incus/unix.socket",
    ],
  );
  assertStringIncludes(
    redirect("/1.0/other?x=1").message,
    "a redirect to a path of the same server;",
  );
  assertStringIncludes(redirect().message, "a redirect to no location;");
});
