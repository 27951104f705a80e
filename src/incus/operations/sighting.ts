/**
 * An operation's state together with the request that read it (what
 * errors report as `method`, `path` and `status`), and the not-found error
 * of a read.
 *
 * @module
 */

import { ConnectionError } from "../../core/errors.ts";
import { IncusError, OperationNotFoundError } from "../errors.ts";
import type { Operation } from "../operation.ts";

/** The operations collection. */
export const COLLECTION = "/1.0/operations";

/** A request as errors report it: what was sent, and the HTTP status of its answer. */
export interface SentRequest {
  /** HTTP method. */
  method: string;
  /** Path, without the query. */
  path: string;
  /** HTTP status of the answer (0 when the news came over a websocket). */
  status: number;
}

/** An operation's state, and the request that read it. */
export interface Sighting {
  /** The operation as read. */
  operation: Operation;
  /** The request that read it. */
  request: SentRequest;
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
