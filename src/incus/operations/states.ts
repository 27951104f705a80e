/**
 * The two ways to see every state of one operation, shared by `wait` and
 * `watch`: follow the shared events connection (subscribe, read the
 * operation once, since it may have changed before the subscription, then
 * follow its events, reading it again after a reconnect), or read it every
 * `pollMs`.
 *
 * @module
 */

import { pause } from "../../core/pause.ts";
import type { CallScope } from "../call_scope.ts";
import { isFinal } from "../operation.ts";
import type { OperationsContext } from "./context.ts";
import { Inbox } from "./inbox.ts";
import type { StateAndSource } from "./state.ts";

/**
 * Every state of the scope's operation from the shared events connection,
 * until a final one (yielded last). Ends early when events are unavailable
 * or were lost (the caller goes on polling); rejects with the scope's
 * signal's reason when it aborts.
 */
export async function* followEvents(
  context: OperationsContext,
  scope: CallScope,
): AsyncGenerator<StateAndSource, void, undefined> {
  const signal = scope.signal ?? new AbortController().signal;
  const inbox = new Inbox();
  const unsubscribe = await context.hubs.get(scope.project).subscribe(scope.id, inbox.push, signal);
  if (unsubscribe === undefined) return;
  try {
    for (;;) {
      const current = await context.catchUp.read(scope);
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
