/**
 * Waiting for one operation: on the shared events connection when it can,
 * else polling (reads every `pollMs` to report progress, `/wait` slices
 * otherwise: server-side `/wait?timeout=` long-poll slices); the outcome as a value or a typed error; the timeout as an
 * `OperationTimeoutError`; optionally cancelling the operation when the
 * wait gives up.
 *
 * @module
 */

import { withoutSecrets } from "../secrets.ts";
import {
  OperationCancelledError,
  OperationFailedError,
  OperationTimeoutError,
  ResponseTimeoutError,
} from "../../core/errors.ts";
import { pollUntilDone, type StepResult } from "../../core/poll.ts";
import { IncusError, OperationNotFoundError } from "../errors.ts";
import { isDeadlineExceeded } from "../transport/transient.ts";
import type { TimeLimit } from "../../core/deadlines.ts";
import { type CallScope, scopeQuery } from "../call_scope.ts";
import { isFinal, type Operation, StatusCode } from "../operation.ts";
import { parseProgress } from "../progress.ts";
import type { WaitOptions } from "./options.ts";
import { INCUS_DEFAULTS } from "../defaults.ts";
import { COLLECTION, type OperationsContext, requestOf, type StateAndSource } from "./context.ts";
import { followEvents, pollStates } from "./states.ts";
import { type Outage, outageText } from "../cluster.ts";

/** A function reporting an operation's progress to `onProgress` when it changed. */
function progressReporter(
  onProgress: NonNullable<WaitOptions["onProgress"]>,
): (operation: Operation) => void {
  let last = "";
  return (operation) => {
    const progress = parseProgress(operation.metadata);
    if (progress === undefined) return;
    const key = JSON.stringify(progress);
    if (key === last) return;
    last = key;
    try {
      onProgress(progress, operation);
    } catch {
      // A reporting callback must not break the wait.
    }
  };
}

/**
 * Waits until the scope's operation is final and resolves with its final
 * state, whatever the outcome. Rejects with `OperationTimeoutError` when
 * the scope's time limit passes, with the caller's signal's reason when it
 * aborts, and with `stop`'s reason when another wait decided the call.
 */
export async function waitFinal(
  context: OperationsContext,
  scope: CallScope,
  options: WaitOptions,
  stop?: AbortSignal,
): Promise<StateAndSource> {
  const { pollMs = INCUS_DEFAULTS.pollMs, memberGraceMs = context.memberGraceMs } = options;
  options.signal?.throwIfAborted();
  const { id, limit } = scope;
  const signal = scope.signal ?? new AbortController().signal;
  const report = options.onProgress && progressReporter(options.onProgress);
  let last: StateAndSource | undefined;
  const see = (state: StateAndSource) => {
    last = state;
    report?.(state.operation);
  };
  // Incus /wait slices tell no state: when none was seen near the end, one
  // read is made before the time runs out, for the timeout error to carry
  // (the whole wait, that read included, fits in the timeout). Events and
  // polls read the state first: the alarm is set when slices start.
  let lastRead: Promise<StateAndSource | undefined> | undefined;
  let silence: (() => void) | undefined;
  const readNearTheEnd = (limit: TimeLimit) =>
    context.clock.alarm(limit.left() - Math.min(READ_BEFORE_TIMEOUT_MS, limit.ms / 2), () => {
      if (last !== undefined) return;
      lastRead = context.read({ ...scope, retry: false }).then(
        (operation) => ({ operation, source: "get" as const }),
        () => undefined,
      );
    });
  const outage: Outage = {};
  try {
    // On a cluster, an attempt that failed because a member is unreachable is made again.
    for (;;) {
      try {
        signal.throwIfAborted();
        const states = context.tuning.events ? followEvents(context, scope) : undefined;
        // Without events (or once they are lost), reads every pollMs to report progress.
        for (const source of [states, report && pollStates(context, scope, pollMs)]) {
          for await (const state of source ?? []) {
            see(state);
            if (isFinal(state.operation)) return state;
          }
        }
        if (limit !== undefined && last === undefined) silence ??= readNearTheEnd(limit);
        return await waitWithSlices(context, scope, see);
      } catch (error) {
        if (signal.aborted) throw error;
        await context.members.duringOutage(id, error, outage, memberGraceMs, signal);
      }
    }
  } catch (error) {
    const callerAborted = options.signal?.aborted === true;
    const timedOut = !callerAborted && limit?.signal.aborted === true;
    if (!callerAborted && !timedOut) throw stop?.aborted ? stop.reason : error;
    const seen = last ?? await lastRead;
    const cancelError = options.cancelOnAbort
      ? await context.cancelAfterGivingUp(scope)
      : undefined;
    if (callerAborted) throw withCause(options.signal!.reason, cancelError);
    const request = seen === undefined ? undefined : requestOf(id, seen.source);
    throw new OperationTimeoutError<Operation>(id, limit!.ms, {
      operation: seen === undefined ? undefined : withoutSecrets(seen.operation),
      method: request?.method,
      path: request?.path,
      cause: cancelError,
      why: outageText(outage, context.clock.now()),
    });
  } finally {
    silence?.();
  }
}

/** How long before a timeout the last state is read when none was seen, ms (at most half the timeout). */
const READ_BEFORE_TIMEOUT_MS = 1_000;

/** The caller's abort reason, with what a cancel threw as its `cause` when it has none. */
function withCause(reason: unknown, cause: unknown): unknown {
  if (cause !== undefined && reason instanceof Error && reason.cause === undefined) {
    Object.defineProperty(reason, "cause", { value: cause, configurable: true, writable: true });
  }
  return reason;
}

/**
 * Resolves a final operation (Success), or throws the error its status
 * means, naming the request that read it.
 */
export function settle(state: StateAndSource): Operation {
  const { operation } = state;
  // The error carries the operation without its websocket secrets.
  const init = {
    ...requestOf(operation.id, state.source),
    operation: withoutSecrets(operation),
    operationStatusCode: operation.status_code,
  };
  switch (operation.status_code) {
    case StatusCode.Success:
      return operation;
    case StatusCode.Cancelled:
      throw new OperationCancelledError<Operation>(operation.id, init);
    default:
      throw new OperationFailedError(operation.id, operation.err || operation.status, init);
  }
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
      // The answer may come up to a slice later (at most 10 s) than the slice ends.
      const timeout = seconds * 1000 + Math.min(10_000, seconds * 1000);
      const envelope = await context.transport.get(path, query, { ...scope, timeout, fresh: true });
      operation = envelope.metadata as Operation;
    } catch (error) {
      // A slice the daemon never answered is retried (a /wait is idempotent);
      // the caller's timeout and signal bound the whole wait.
      if (error instanceof ResponseTimeoutError) return { done: false };
      if (!(error instanceof IncusError)) throw error;
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
  const operation = await context.read(scope).catch((readError) => {
    if (!(readError instanceof OperationNotFoundError) || error.status === 404) throw readError;
    // Failed, and already gone: the /wait error was the operation's err.
    throw new OperationFailedError(scope.id, error.message, {
      status: error.status,
      method: error.method,
      path: error.path,
      operationStatusCode: StatusCode.Failure,
    });
  });
  const state: StateAndSource = { operation, source: "get" };
  see(state);
  if (isFinal(operation)) return { done: true, value: state };
  throw error;
}
