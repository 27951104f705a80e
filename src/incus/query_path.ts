/**
 * Checking a {@linkcode Client.query} path and splitting it into the base
 * path and its query.
 *
 * @module
 */

import { InvalidArgumentError } from "../core/errors.ts";
import { describeValue } from "../core/validate.ts";
// deno-lint-ignore no-unused-vars -- for {@linkcode} in the docs
import type { Client } from "./client.ts";
import type { QueryOptions } from "./client_options.ts";

/** Characters and sequences a query path may not hold. */
// deno-lint-ignore no-control-regex -- control characters are what it refuses
const BAD_PATH = /[\s#\\\u0000-\u001f\u007f]|%(?:2e|2f|5c|00|23|3f)|(?:^|\/)\.\.?(?:\/|$|\?)/i;

/**
 * Checks a query path and splits it into its base and its query
 * (URLSearchParams semantics), `options.query` merged, with the project
 * the path names. Throws {@linkcode InvalidArgumentError} for a path that is
 * not under `/1.0` or holds `..`, `#`, white space or encoded separators,
 * and for what is ambiguous: a second `?`, a parameter both in the path and
 * in `options.query`, or a `project` in the path that differs from
 * `options.project`.
 */
export function requestPath(
  path: string,
  options: QueryOptions,
): { base: string; query: string; project: string | undefined } {
  if (typeof path !== "string" || !/^\/1\.0(?:[/?]|$)/.test(path) || BAD_PATH.test(path)) {
    throw new InvalidArgumentError(
      `invalid API path ${describeValue(path)}: expected a path such as "/1.0/instances", ` +
        `without "..", "#", white space or encoded separators`,
    );
  }
  const mark = path.indexOf("?");
  const base = mark < 0 ? path : path.slice(0, mark);
  const inline = mark < 0 ? "" : path.slice(mark + 1);
  const refuse = (why: string) =>
    new InvalidArgumentError(`ambiguous API path ${describeValue(path)}: ${why}`);
  if (inline.includes("?")) throw refuse(`a second "?" (encode it as %3F inside a value)`);
  const params = new URLSearchParams(inline);
  for (const [key, value] of Object.entries(options.query ?? {})) {
    if (params.has(key)) throw refuse(`"${key}" is both in the path and in options.query`);
    params.append(key, value);
  }
  const named = params.getAll("project");
  if (named.length > 1) throw refuse(`"project" given ${named.length} times`);
  if (named.length === 1 && options.project !== undefined && options.project !== named[0]) {
    throw refuse(`its project "${named[0]}" differs from options.project "${options.project}"`);
  }
  return { base, query: params.toString(), project: named[0] };
}
