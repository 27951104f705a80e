/**
 * `watch`: every distinct state of one operation until it is final, from
 * the shared events connection, or read every `pollMs` without events.
 *
 * @module
 */

import { duration } from "../../core/validate.ts";
import { isFinal, type Operation } from "../operation.ts";
import { DEFAULT_POLL_MS, type WatchOptions } from "./options.ts";
import type { OperationsContext } from "./context.ts";
import { followEvents } from "./wait_events.ts";
import { pollStates } from "./wait_slices.ts";

/** Every distinct state of operation `id` (already checked) until it is final. */
export async function* watchOperation(
  context: OperationsContext,
  id: string,
  options: WatchOptions,
): AsyncGenerator<Operation, void, undefined> {
  const pollMs = duration("pollMs", options.pollMs) ?? DEFAULT_POLL_MS;
  options.signal?.throwIfAborted();
  const signal = options.signal ?? new AbortController().signal;
  let last = "";
  const changed = (op: Operation) => {
    const key = `${op.status_code} ${op.updated_at} ${JSON.stringify(op.metadata)}`;
    if (key === last) return false;
    last = key;
    return true;
  };
  if (context.tuning.events) {
    for await (const { operation } of followEvents(context, id, options, signal)) {
      if (changed(operation)) yield operation;
      if (isFinal(operation)) return;
    }
    // Events unavailable or lost: read it every pollMs from now on.
  }
  for await (const { operation } of pollStates(context, id, options, signal, pollMs)) {
    if (changed(operation)) yield operation;
    if (isFinal(operation)) return;
  }
}
