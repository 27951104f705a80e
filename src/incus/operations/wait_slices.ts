/**
 * Waiting without events: server-side `/wait?timeout=` long-poll slices,
 * or, to see every state (progress), reads of the operation every `pollMs`.
 *
 * @module
 */

import { ConnectionError, OperationFailedError, ResponseTimeoutError } from "../../core/errors.ts";
import { pause } from "../../core/pause.ts";
import type { TimeLimit } from "../../core/deadlines.ts";
import { pollUntilDone, type StepResult } from "../../core/poll.ts";
import { IncusError, OperationNotFoundError } from "../errors.ts";
import { isFinal, type Operation, StatusCode } from "../operation.ts";
import { isDeadlineExceeded } from "../transport/transient.ts";
import type { CallOptions } from "./options.ts";
import type { OperationsContext } from "./context.ts";
import { COLLECTION, type Sighting } from "./sighting.ts";

/** Time allowed past a `/wait` slice for the answer to arrive: up to 10 s. */
function sliceGrace(sliceSeconds: number): number {
  return Math.min(10_000, sliceSeconds * 1000);
}

/**
 * Waits for operation `id` with `/wait` slices until it is final and
 * resolves with its final state, whatever the outcome. Both the LXD answer
 * to a slice that ran out (200 and a running operation) and the Incus one
 * (an error "context deadline exceeded") mean "still running".
 *
 * @param context The client's shared state.
 * @param id The operation id.
 * @param options The call's `project` and `retry`.
 * @param signal Ends the wait (the caller's signal and deadline).
 * @param limit The wait's time limit, if any: no slice lasts longer.
 * @param see Told of every state read.
 */
export function waitWithSlices(
  context: OperationsContext,
  id: string,
  options: CallOptions,
  signal: AbortSignal,
  limit: TimeLimit | undefined,
  see: (sighting: Sighting) => void,
): Promise<Sighting> {
  const path = `${COLLECTION}/${id}/wait`;
  const call = { ...options, signal };
  return pollUntilDone(async (): Promise<StepResult<Sighting>> => {
    const remaining = limit?.left() ?? Infinity;
    const seconds = Math.max(1, Math.ceil(Math.min(remaining, context.tuning.maxSliceMs) / 1000));
    let answer: Operation;
    try {
      const envelope = await context.get(
        path,
        context.query(options.project, `timeout=${seconds}`),
        call,
        {
          timeout: seconds * 1000 + sliceGrace(seconds),
          fresh: true,
        },
      );
      answer = envelope.metadata as Operation;
    } catch (error) {
      // A slice the daemon never answered is retried (a /wait is idempotent);
      // the caller's timeout and signal bound the whole wait.
      if (error instanceof ResponseTimeoutError) return { done: false };
      if (!(error instanceof IncusError) || error instanceof ConnectionError) throw error;
      if (isDeadlineExceeded(error)) return { done: false };
      // An error from /wait may be the operation's own `err` (Incus), or
      // "not found": the operation itself tells which.
      return await afterWaitError(context, id, error, call, see);
    }
    const sighting = { operation: answer, request: { method: "GET", path, status: 200 } };
    see(sighting);
    return isFinal(answer) ? { done: true, value: sighting } : { done: false };
  }, { signal, backoff: context.tuning.backoff, pauseIfFasterThan: 500, clock: context.clock });
}

/** After a `/wait` error: the operation's final state, or the error. */
async function afterWaitError(
  context: OperationsContext,
  id: string,
  error: IncusError,
  options: CallOptions,
  see: (sighting: Sighting) => void,
): Promise<StepResult<Sighting>> {
  let sighting: Sighting;
  try {
    sighting = await context.read(id, options);
  } catch (readError) {
    if (!(readError instanceof OperationNotFoundError) || error.status === 404) throw readError;
    // Failed, and already gone: the /wait error was the operation's err.
    throw new OperationFailedError(id, error.message, {
      status: error.status,
      method: error.method,
      path: error.path,
      operationStatusCode: StatusCode.Failure,
    });
  }
  see(sighting);
  if (isFinal(sighting.operation)) return { done: true, value: sighting };
  throw error;
}

/**
 * Every state of operation `id`, read every `pollMs` until a final one
 * (yielded last): each state that lasts longer than `pollMs` is seen.
 *
 * @param context The client's shared state.
 * @param id The operation id.
 * @param options The call's `project` and `retry`.
 * @param signal Ends the loop.
 * @param pollMs Pause between reads, ms.
 */
export async function* pollStates(
  context: OperationsContext,
  id: string,
  options: CallOptions,
  signal: AbortSignal,
  pollMs: number,
): AsyncGenerator<Sighting, void, undefined> {
  const call = { ...options, signal };
  for (;;) {
    const current = await context.read(id, call);
    yield current;
    if (isFinal(current.operation)) return;
    await pause(pollMs, signal, context.clock);
  }
}
