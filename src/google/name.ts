/**
 * Validation of resource names and of the base URL before they reach a URL.
 *
 * @module
 */

import { InvalidArgumentError } from "../core/errors.ts";
import { describeValue } from "../core/validate.ts";

// deno-lint-ignore no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f?#]/;
const MAX_NAME_LENGTH = 2048;

/**
 * Returns the URL path of a resource name (`operations/123` →
 * `/operations/123`), each segment percent-encoded and the `/` between them
 * kept. Throws {@linkcode InvalidArgumentError} for anything that could
 * leave the name's place in the URL: not a string, empty, over 2048
 * characters, a leading, trailing or doubled `/`, a `.` or `..` segment, a
 * `?`, a `#` or a control character.
 */
export function namePath(name: unknown, what = "operation name"): string {
  const problem = nameProblem(name);
  if (problem !== undefined) {
    throw new InvalidArgumentError(
      `invalid ${what} ${describeValue(name)}: ${problem}; expected a resource name such as ` +
        `"operations/123" or "projects/p/locations/l/operations/123"`,
    );
  }
  return "/" + (name as string).split("/").map(encodeURIComponent).join("/");
}

function nameProblem(name: unknown): string | undefined {
  if (typeof name !== "string") return "not a string";
  if (name === "") return "empty";
  if (name.length > MAX_NAME_LENGTH) return `longer than ${MAX_NAME_LENGTH} characters`;
  if (FORBIDDEN.test(name)) return "it holds a '?', '#' or control character";
  for (const segment of name.split("/")) {
    if (segment === "") return "an empty segment (leading, trailing or doubled '/')";
    if (segment === "." || segment === "..") return `a '${segment}' segment`;
  }
  return undefined;
}

/**
 * Checks the base URL (`https://example.googleapis.com/v1`): http or https,
 * no credentials, query or fragment. Returns it without a trailing `/`.
 */
export function baseUrlOf(value: unknown): URL {
  let url: URL;
  try {
    url = new URL(value as string);
  } catch {
    throw new InvalidArgumentError(
      `invalid baseUrl (${typeof value}): not an absolute URL; expected one such as ` +
        `"https://example.googleapis.com/v1"`,
    );
  }
  const problem = url.protocol !== "https:" && url.protocol !== "http:"
    ? "not http: or https:"
    : url.username !== "" || url.password !== ""
    ? "it holds credentials (pass them in headers or getHeaders)"
    : url.search !== "" || url.hash !== "" || /[?#]/.test(String(value))
    ? "it holds a query or fragment"
    : undefined;
  if (problem !== undefined) {
    throw new InvalidArgumentError(
      // Never the value itself: it may hold a password or token.
      `invalid baseUrl ${describeValue(`${url.protocol}//${url.host}${url.pathname}`)}: ${problem}`,
    );
  }
  url.pathname = url.pathname.replace(/\/+$/, "");
  return url;
}
