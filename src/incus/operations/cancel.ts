/**
 * Cancelling an operation (`DELETE /1.0/operations/<id>`).
 *
 * @module
 */

import { timeLimit } from "../../core/deadlines.ts";
import { ConnectionError } from "../../core/errors.ts";
import { type CallScope, scopeQuery } from "../call_scope.ts";
import { IncusError, NotCancellableError } from "../errors.ts";
import { COLLECTION, notFound, type OperationsContext } from "./context.ts";

/** Longest a cancel sent because a wait gave up may take, ms. */
const CANCEL_ON_ABORT_LIMIT_MS = 10_000;

/**
 * Sends `DELETE /1.0/operations/<id>` for the scope's operation; resolves
 * once the server accepted. A 400 is {@linkcode NotCancellableError}, a 404
 * {@linkcode OperationNotFoundError}.
 */
export async function cancelOperation(context: OperationsContext, scope: CallScope): Promise<void> {
  const { id, signal } = scope;
  try {
    const query = scopeQuery({ project: scope.project });
    await context.transport.request("DELETE", `${COLLECTION}/${id}`, { query, signal });
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
 * For `cancelOnAbort`: cancels the scope's operation, best effort, within
 * {@linkcode CANCEL_ON_ABORT_LIMIT_MS}; resolves with what the cancel
 * threw, or `undefined` when the server accepted it. Never rejects.
 */
export async function cancelAfterGivingUp(
  context: OperationsContext,
  scope: CallScope,
): Promise<unknown> {
  const limit = timeLimit(CANCEL_ON_ABORT_LIMIT_MS, {
    clock: context.clock,
    message: "the cancel took too long",
  });
  try {
    await cancelOperation(context, { ...scope, signal: limit.signal });
    return undefined;
  } catch (error) {
    return error;
  } finally {
    limit.clear();
  }
}
