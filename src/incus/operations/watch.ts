/**
 * `watch`: every distinct state of one operation until it is final, from
 * the shared events connection, or read every `pollMs` without events.
 *
 * @module
 */

import { duration } from "../../core/validate.ts";
import type { CallScope } from "../call_scope.ts";
import { isFinal, type Operation } from "../operation.ts";
import { DEFAULT_POLL_MS, type WatchOptions } from "./options.ts";
import type { OperationsContext } from "./context.ts";
import { followEvents, pollStates } from "./states.ts";

/** Every distinct state of the scope's operation until it is final. */
export async function* watchOperation(
  context: OperationsContext,
  scope: CallScope,
  options: WatchOptions,
): AsyncGenerator<Operation, void, undefined> {
  const pollMs = duration("pollMs", options.pollMs) ?? DEFAULT_POLL_MS;
  options.signal?.throwIfAborted();
  let last = "";
  const states = context.tuning.events ? followEvents(context, scope) : undefined;
  // Without events (or once they are lost): read every pollMs from now on.
  for (const source of [states, pollStates(context, scope, pollMs)]) {
    for await (const { operation } of source ?? []) {
      const key = `${operation.status_code} ${operation.updated_at} ${
        JSON.stringify(operation.metadata)
      }`;
      if (key !== last) yield operation;
      last = key;
      if (isFinal(operation)) return;
    }
  }
}
