/**
 * The one way a project is added to a request's query.
 *
 * @module
 */

/**
 * `query` (already encoded, without `?`) with `project=<name>` added, unless
 * `project` is `undefined` or the query already names a project.
 *
 * @param query The query, or `undefined`.
 * @param project The project, or `undefined` for the server's default.
 * @returns The query to send (`undefined` when empty).
 *
 * @example
 * ```ts
 * import { withProject } from "./project.ts";
 *
 * console.log(withProject("recursion=1", "my project")); // "recursion=1&project=my%20project"
 * console.log(withProject(undefined, undefined)); // undefined
 * ```
 */
export function withProject(
  query: string | undefined,
  project: string | undefined,
): string | undefined {
  const given = query === "" ? undefined : query;
  if (project === undefined || (given !== undefined && /(?:^|&)project=/.test(given))) {
    return given;
  }
  const scope = `project=${encodeURIComponent(project)}`;
  return given === undefined ? scope : `${given}&${scope}`;
}
