/**
 * An operation's state with the kind of read that gave it (what errors
 * report as their request), and the not-found error of a read.
 *
 * @module
 */

import { ConnectionError } from "../../core/errors.ts";
import { IncusError, OperationNotFoundError } from "../errors.ts";
import type { Operation } from "../operation.ts";

/** The operations collection. */
export const COLLECTION = "/1.0/operations";

/**
 * Where a state was read: the events socket, a list of the collection, a
 * `GET` of the operation, or its `/wait`.
 */
export type Source = "events" | "list" | "get" | "wait";

/** An operation's state, and where it was read. */
export interface StateAndSource {
  /** The operation as read. */
  operation: Operation;
  /** Where it was read. */
  source: Source;
}

/** The request that read a state, as errors report it (`status` 0: a websocket). */
export function requestOf(
  id: string,
  source: Source,
): { method: string; path: string; status: number } {
  if (source === "events") return { method: "GET", path: "/1.0/events", status: 0 };
  const path = source === "list"
    ? COLLECTION
    : `${COLLECTION}/${id}${source === "wait" ? "/wait" : ""}`;
  return { method: "GET", path, status: 200 };
}

/** Turns a 404 into {@linkcode OperationNotFoundError}; passes others on. */
export function notFound(id: string, error: unknown): unknown {
  if (!(error instanceof IncusError) || error.status !== 404 || error instanceof ConnectionError) {
    return error;
  }
  return new OperationNotFoundError(
    id,
    `operation ${id} not found: it never existed in this project, or it finished and the ` +
      "server dropped it (servers keep finished operations about 5 s), or the daemon restarted",
    error,
  );
}
