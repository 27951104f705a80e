/**
 * Waiting for one operation: on the shared events connection when it can,
 * else polling (reads every `pollMs` to report progress, `/wait` slices
 * otherwise); the outcome as a value or a typed error; the timeout as an
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
} from "../../core/errors.ts";
import { anySignal } from "../../core/signals.ts";
import { duration } from "../../core/validate.ts";
import { isFinal, type Operation, StatusCode } from "../operation.ts";
import { parseProgress } from "../progress.ts";
import { DEFAULT_POLL_MS, type WaitOptions } from "./options.ts";
import type { OperationsContext } from "./context.ts";
import type { Sighting } from "./sighting.ts";
import { followEvents } from "./wait_events.ts";
import { pollStates, waitWithSlices } from "./wait_slices.ts";
import { cancelAfterGivingUp } from "./cancel.ts";
import { type Outage, outageText, throughOutages } from "../cluster.ts";
import { type TimeLimit, timeLimit } from "../../core/deadlines.ts";

/** How a wait that is part of several is controlled. */
export interface WaitControl {
  /** The whole call's time limit (replaces `options.timeout`). */
  limit?: TimeLimit;
  /** "No longer waited for" (another wait decided the call): not a reason to cancel. */
  stop?: AbortSignal;
}

/** A function reporting an operation's progress when it changed, or `undefined`. */
function progressReporter(
  onProgress: WaitOptions["onProgress"],
): ((operation: Operation) => void) | undefined {
  if (onProgress === undefined) return undefined;
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
 * Waits until operation `id` is final and resolves with its final state,
 * whatever the outcome. Rejects with `OperationTimeoutError` when the
 * timeout passes, with the caller's signal's reason when it aborts.
 */
export async function waitFinal(
  context: OperationsContext,
  id: string,
  options: WaitOptions,
  control: WaitControl = {},
): Promise<Sighting> {
  const timeout = duration("timeout", options.timeout);
  const pollMs = duration("pollMs", options.pollMs) ?? DEFAULT_POLL_MS;
  options.signal?.throwIfAborted();
  const clock = context.clock;
  const own = control.limit === undefined && timeout !== undefined
    ? timeLimit(timeout, { clock })
    : undefined;
  const limit = control.limit ?? own;
  const signal = anySignal(options.signal, limit?.signal, control.stop) ??
    new AbortController().signal;
  const report = progressReporter(options.onProgress);
  let last: Sighting | undefined;
  const see = (sighting: Sighting) => {
    last = sighting;
    report?.(sighting.operation);
  };
  // Incus /wait slices tell no state: when none was seen near the end, one
  // read is made before the time runs out, for the timeout error to carry
  // (the whole wait, that read included, fits in the timeout).
  let lastRead: Promise<Sighting | undefined> | undefined;
  const silence = limit &&
    clock.alarm(limit.left() - Math.min(READ_BEFORE_TIMEOUT_MS, limit.ms / 2), () => {
      if (last !== undefined) return;
      const call = { project: options.project, retry: false as const, signal };
      lastRead = context.read(id, call).catch(() => undefined);
    });
  const graceMs = duration("memberGraceMs", options.memberGraceMs) ?? context.memberGraceMs;
  const attempt = async (): Promise<Sighting> => {
    signal.throwIfAborted();
    if (context.tuning.events) {
      for await (const sighting of followEvents(context, id, options, signal)) {
        see(sighting);
        if (isFinal(sighting.operation)) return sighting;
      }
      // Events unavailable or lost: poll from now on.
    }
    if (report !== undefined) {
      for await (const sighting of pollStates(context, id, options, signal, pollMs)) {
        see(sighting);
        if (isFinal(sighting.operation)) return sighting;
      }
    }
    return await waitWithSlices(context, id, options, signal, limit, see);
  };
  const outage: Outage = {};
  try {
    // On a cluster, an attempt that failed because a member is unreachable is made again.
    return await throughOutages(context.members, id, graceMs, signal, attempt, outage);
  } catch (error) {
    const callerAborted = options.signal?.aborted === true;
    const timedOut = !callerAborted && limit?.signal.aborted === true;
    if (!callerAborted && !timedOut) throw control.stop?.aborted ? control.stop.reason : error;
    const seen = last ?? await lastRead;
    const cancelError = options.cancelOnAbort
      ? await cancelAfterGivingUp(context, id, options)
      : undefined;
    if (callerAborted) throw withCause(options.signal!.reason, cancelError);
    throw new OperationTimeoutError<Operation>(id, limit!.ms, {
      operation: seen === undefined ? undefined : withoutSecrets(seen.operation),
      method: seen?.request.method,
      path: seen?.request.path,
      cause: cancelError,
      why: outageText(outage, clock.now()),
    });
  } finally {
    silence?.();
    own?.clear();
  }
}

/** How long before a timeout the last state is read when none was seen, ms (at most half the timeout). */
const READ_BEFORE_TIMEOUT_MS = 1_000;

/** The caller's abort reason, with what a cancel threw as its `cause` when it has none. */
function withCause(reason: unknown, cause: unknown): unknown {
  if (cause !== undefined && reason instanceof Error && reason.cause === undefined) {
    Object.defineProperty(reason, "cause", {
      value: cause,
      configurable: true,
      writable: true,
      enumerable: false,
    });
  }
  return reason;
}

/**
 * Resolves a final operation (Success), or throws the error its status
 * means, naming the request that read it.
 */
export function settle(sighting: Sighting): Operation {
  const { operation, request } = sighting;
  // The error carries the operation without its websocket secrets.
  const init = {
    ...request,
    operation: withoutSecrets(operation),
    operationStatusCode: operation.status_code,
  };
  switch (operation.status_code) {
    case StatusCode.Success:
      return operation;
    case StatusCode.Cancelled:
      throw new OperationCancelledError<Operation>(operation.id, init);
    default:
      throw new OperationFailedError<Operation>(
        operation.id,
        operation.err || operation.status,
        init,
      );
  }
}
