/**
 * Checking a {@linkcode Client.query} path and splitting it into the base
 * path and the query string sent.
 *
 * @module
 */

import { InvalidArgumentError } from "../core/errors.ts";
import { describeValue } from "../core/validate.ts";
// deno-lint-ignore no-unused-vars -- for {@linkcode} in the docs
import type { Client } from "./client.ts";
import type { QueryOptions } from "./client_options.ts";
import { memberName } from "./cluster.ts";

/** Characters and sequences a query path may not hold. */
// deno-lint-ignore no-control-regex -- control characters are what it refuses
const BAD_PATH = /[\s#\\\u0000-\u001f\u007f]|%(?:2e|2f|5c|00|23|3f)|(?:^|\/)\.\.?(?:\/|$|\?)/i;

/**
 * Splits a query path into its base and its query (URLSearchParams
 * semantics), merges `options.query` and adds the project unless the query
 * names one. Throws {@linkcode InvalidArgumentError} for what is ambiguous:
 * a second `?`, a parameter both in the path and in `options.query`, or a
 * `project` in the path that differs from `options.project`.
 */
function splitQuery(
  path: string,
  options: QueryOptions,
  clientProject: string | undefined,
): { base: string; query: string; project: string | undefined } {
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
  if (named.length === 1) {
    if (options.project !== undefined && options.project !== named[0]) {
      throw refuse(`its project "${named[0]}" differs from options.project "${options.project}"`);
    }
    return { base, query: params.toString(), project: named[0] };
  }
  const project = options.project ?? clientProject;
  if (project !== undefined) params.set("project", project);
  return { base, query: params.toString(), project };
}

/**
 * Checks a query path, splits it ({@linkcode splitQuery}) and adds the
 * member to address (`options.target`, else the client's `member`) unless
 * the query names one. Throws {@linkcode InvalidArgumentError} for a path
 * that is not under `/1.0` or holds `..`, `#`, white space or encoded
 * separators.
 */
export function requestQuery(
  path: string,
  options: QueryOptions,
  clientProject: string | undefined,
  clientMember: string | undefined,
): { base: string; query: string; project: string | undefined } {
  if (typeof path !== "string" || !/^\/1\.0(?:[/?]|$)/.test(path) || BAD_PATH.test(path)) {
    throw new InvalidArgumentError(
      `invalid API path ${describeValue(path)}: expected a path such as "/1.0/instances", ` +
        `without "..", "#", white space or encoded separators`,
    );
  }
  const { base, query, project } = splitQuery(path, options, clientProject);
  const target = memberName(options.target) ?? clientMember;
  if (target === undefined || new URLSearchParams(query).has("target")) {
    return { base, query, project };
  }
  return {
    base,
    query: `${query}${query ? "&" : ""}target=${encodeURIComponent(target)}`,
    project,
  };
}
