/**
 * Cancelling an operation (`DELETE /1.0/operations/<id>`).
 *
 * @module
 */

import { ConnectionError } from "../../core/errors.ts";
import { timeLimit } from "../../core/deadlines.ts";
import { IncusError, NotCancellableError } from "../errors.ts";
import type { CallOptions } from "./options.ts";
import type { OperationsContext } from "./context.ts";
import { COLLECTION, notFound } from "./sighting.ts";

/** Longest a cancel sent because a wait gave up may take, ms. */
const CANCEL_ON_ABORT_LIMIT_MS = 10_000;

/**
 * Sends `DELETE /1.0/operations/<id>`; resolves once the server accepted.
 * A 400 is {@linkcode NotCancellableError}, a 404
 * {@linkcode OperationNotFoundError}.
 */
export async function cancelOperation(
  context: OperationsContext,
  id: string,
  options: CallOptions,
): Promise<void> {
  const path = `${COLLECTION}/${id}`;
  try {
    await context.transport.request("DELETE", path, {
      query: context.query(options.project),
      signal: options.signal,
    });
  } catch (error) {
    if (
      error instanceof IncusError && error.status === 400 && !(error instanceof ConnectionError)
    ) {
      throw new NotCancellableError(
        id,
        `operation ${id} cannot be cancelled: ${error.message}`,
        error,
      );
    }
    throw notFound(id, error);
  }
}

/**
 * For `cancelOnAbort`: cancels operation `id`, best effort, within
 * {@linkcode CANCEL_ON_ABORT_LIMIT_MS}; resolves with what the cancel
 * threw, or `undefined` when the server accepted it. Never rejects.
 */
export async function cancelAfterGivingUp(
  context: OperationsContext,
  id: string,
  options: CallOptions,
): Promise<unknown> {
  const limit = timeLimit(CANCEL_ON_ABORT_LIMIT_MS, {
    clock: context.clock,
    message: "the cancel took too long",
  });
  try {
    await cancelOperation(context, id, { project: options.project, signal: limit.signal });
    return undefined;
  } catch (error) {
    return error;
  } finally {
    limit.clear();
  }
}
