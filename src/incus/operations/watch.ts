/**
 * `watch`: every distinct state of one operation until it is final, from
 * the shared events connection, or read every `pollMs` without events.
 *
 * @module
 */

import { duration } from "../../core/validate.ts";
import type { CallScope } from "../call_scope.ts";
import { isFinal, type Operation } from "../operation.ts";
import type { WatchOptions } from "./options.ts";
import { INCUS_DEFAULTS } from "../defaults.ts";
import type { OperationsContext } from "./context.ts";
import { followEvents, pollStates } from "./states.ts";

/** Every distinct state of the scope's operation until it is final. */
export async function* watchOperation(
  context: OperationsContext,
  scope: CallScope,
  options: WatchOptions,
): AsyncGenerator<Operation, void, undefined> {
  const pollMs = duration("pollMs", options.pollMs) ?? INCUS_DEFAULTS.pollMs;
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
