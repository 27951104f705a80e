/**
 * Waiting without events: server-side `/wait?timeout=` long-poll slices.
 *
 * @module
 */

import { ConnectionError, OperationFailedError, ResponseTimeoutError } from "../../core/errors.ts";
import { pollUntilDone, type StepResult } from "../../core/poll.ts";
import { type CallScope, scopeQuery } from "../call_scope.ts";
import { IncusError, OperationNotFoundError } from "../errors.ts";
import { isFinal, type Operation, StatusCode } from "../operation.ts";
import { isDeadlineExceeded } from "../transport/transient.ts";
import type { OperationsContext } from "./context.ts";
import { COLLECTION, type StateAndSource } from "./state.ts";

/** Time allowed past a `/wait` slice for the answer to arrive: up to 10 s. */
function sliceGrace(sliceSeconds: number): number {
  return Math.min(10_000, sliceSeconds * 1000);
}

/**
 * Waits for the scope's operation with `/wait` slices (none longer than
 * the scope's time limit leaves) until it is final, and resolves with its
 * final state, whatever the outcome; `see` is told of every state read.
 * Both the LXD answer to a slice that ran out (200 and a running operation)
 * and the Incus one (an error "context deadline exceeded") mean "still
 * running".
 */
export function waitWithSlices(
  context: OperationsContext,
  scope: CallScope,
  see: (state: StateAndSource) => void,
): Promise<StateAndSource> {
  const path = `${COLLECTION}/${scope.id}/wait`;
  return pollUntilDone(async (): Promise<StepResult<StateAndSource>> => {
    const left = Math.min(scope.limit?.left() ?? Infinity, context.tuning.waitSliceMs);
    const seconds = Math.max(1, Math.ceil(left / 1000));
    const query = scopeQuery({ project: scope.project }, `timeout=${seconds}`);
    let operation: Operation;
    try {
      const timeout = seconds * 1000 + sliceGrace(seconds);
      const envelope = await context.requests.get(path, query, { ...scope, timeout, fresh: true });
      operation = envelope.metadata as Operation;
    } catch (error) {
      // A slice the daemon never answered is retried (a /wait is idempotent);
      // the caller's timeout and signal bound the whole wait.
      if (error instanceof ResponseTimeoutError) return { done: false };
      if (!(error instanceof IncusError) || error instanceof ConnectionError) throw error;
      if (isDeadlineExceeded(error)) return { done: false };
      // An error from /wait may be the operation's own `err` (Incus), or
      // "not found": the operation itself tells which.
      return await afterWaitError(context, scope, error, see);
    }
    const state: StateAndSource = { operation, source: "wait" };
    see(state);
    return isFinal(operation) ? { done: true, value: state } : { done: false };
  }, {
    signal: scope.signal,
    backoff: context.tuning.backoff,
    pauseIfFasterThan: 500,
    clock: context.clock,
  });
}

/** After a `/wait` error: the operation's final state, or the error. */
async function afterWaitError(
  context: OperationsContext,
  scope: CallScope,
  error: IncusError,
  see: (state: StateAndSource) => void,
): Promise<StepResult<StateAndSource>> {
  let operation: Operation;
  try {
    operation = await context.read(scope);
  } catch (readError) {
    if (!(readError instanceof OperationNotFoundError) || error.status === 404) throw readError;
    // Failed, and already gone: the /wait error was the operation's err.
    throw new OperationFailedError(scope.id, error.message, {
      status: error.status,
      method: error.method,
      path: error.path,
      operationStatusCode: StatusCode.Failure,
    });
  }
  const state: StateAndSource = { operation, source: "get" };
  see(state);
  if (isFinal(operation)) return { done: true, value: state };
  throw error;
}
