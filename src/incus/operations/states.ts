/**
 * The two ways to see every state of one operation, shared by `wait` and
 * `watch`: follow the shared events connection (subscribe, read the
 * operation once, since it may have changed before the subscription, then
 * follow its events, reading it again after a reconnect), or read it every
 * `pollMs`; and `watch`, which reports each distinct one.
 *
 * @module
 */

import { pause } from "../../core/pause.ts";
import type { CallScope } from "../call_scope.ts";
import { isFinal, type Operation } from "../operation.ts";
import { INCUS_DEFAULTS } from "../defaults.ts";
import type { WatchOptions } from "./options.ts";
import type { OperationsContext, StateAndSource } from "./context.ts";
import { Inbox } from "./event_hub.ts";
import type { QueueLimits } from "../event_types.ts";

/**
 * Every state of the scope's operation from the shared events connection,
 * until a final one (yielded last). Ends early when events are unavailable
 * or were lost (the caller goes on polling); rejects with the scope's
 * signal's reason when it aborts.
 */
export async function* followEvents(
  context: OperationsContext,
  scope: CallScope,
  limits: QueueLimits = {},
): AsyncGenerator<StateAndSource, void, undefined> {
  const signal = scope.signal ?? new AbortController().signal;
  const what = `the watch of operation ${scope.id}`;
  const inbox = new Inbox(limits, context.transport.endpoint, what);
  const unsubscribe = await context.hub(scope.project).subscribe(scope.id, inbox.notify, signal);
  if (unsubscribe === undefined) return;
  try {
    for (;;) {
      const current = await context.catchUp(scope);
      yield current;
      if (isFinal(current.operation)) return;
      for (;;) {
        const notice = await inbox.take(signal);
        if (notice.kind === "lost") return;
        if (notice.kind === "resync") break;
        yield { operation: notice.operation, source: "events" };
        if (isFinal(notice.operation)) return;
      }
    }
  } finally {
    unsubscribe();
  }
}

/**
 * Every state of the scope's operation, read every `pollMs` until a final
 * one (yielded last): each state that lasts longer than `pollMs` is seen.
 */
export async function* pollStates(
  context: OperationsContext,
  scope: CallScope,
  pollMs: number,
): AsyncGenerator<StateAndSource, void, undefined> {
  for (;;) {
    const operation = await context.read(scope);
    yield { operation, source: "get" };
    if (isFinal(operation)) return;
    await pause(pollMs, scope.signal, context.clock);
  }
}
/** Every distinct state of the scope's operation until it is final. */
export async function* watchOperation(
  context: OperationsContext,
  scope: CallScope,
  options: WatchOptions,
): AsyncGenerator<Operation, void, undefined> {
  const { pollMs = INCUS_DEFAULTS.pollMs } = options;
  options.signal?.throwIfAborted();
  let last = "";
  const states = context.tuning.events ? followEvents(context, scope, options) : undefined;
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
