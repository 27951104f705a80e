/**
 * Keeping websocket secrets out of what errors carry: the `fds` of an exec
 * or websocket operation, and the query strings of request URLs.
 *
 * @module
 */

import type { Operation } from "./operation.ts";

/** A copy of an operation without its websocket secrets (`metadata.fds` values masked). */
export function withoutSecrets(operation: Operation): Operation {
  const metadata = operation.metadata;
  if (metadata === null || typeof metadata !== "object" || !("fds" in metadata)) return operation;
  const fds = metadata.fds as Record<string, unknown> | null;
  const masked = fds === null || typeof fds !== "object"
    ? fds
    : Object.fromEntries(Object.keys(fds).map((key) => [key, "***"]));
  return { ...operation, metadata: { ...metadata, fds: masked } };
}

/**
 * `text` with the query of every URL in it masked (a query may hold a
 * secret). The query is optional in the pattern, so that a URL without one
 * matches too and is passed over once (no backtracking: linear in `text`).
 */
export function withoutQueries(text: string): string {
  return text.replace(
    /(\b[a-z]+:\/\/[^\s?#)"'<>]*)(\?[^\s#)"'<>]*)?/gi,
    (url, head, query) => query === undefined ? url : `${head}?***`,
  );
}
