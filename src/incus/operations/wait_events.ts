/**
 * The one event loop of `wait` and `watch`: subscribe to the shared events
 * connection, read the operation once (it may have changed before the
 * subscription), then follow its events; read it again when the connection
 * was re-established (events may have been lost).
 *
 * @module
 */

import { isFinal } from "../operation.ts";
import type { CallOptions } from "./options.ts";
import { Inbox } from "./inbox.ts";
import type { OperationsContext } from "./context.ts";
import type { Sighting } from "./sighting.ts";

/** The request an event arrived on (a websocket: no HTTP status). */
const EVENTS_REQUEST = { method: "GET", path: "/1.0/events", status: 0 } as const;

/**
 * Every state of operation `id` from the shared events connection, until
 * a final one (yielded last). Returns `true` after the final state, `false`
 * when events are unavailable or were lost (the caller goes on polling).
 * Rejects with `signal`'s reason when it aborts.
 *
 * @param context The client's shared state.
 * @param id The operation id.
 * @param options The call's `project` and `retry`.
 * @param signal Ends the loop.
 */
export async function* followEvents(
  context: OperationsContext,
  id: string,
  options: CallOptions,
  signal: AbortSignal,
): AsyncGenerator<Sighting, boolean, undefined> {
  const inbox = new Inbox();
  const unsubscribe = await context.hubs.get(options.project).subscribe(id, inbox.push, signal);
  if (unsubscribe === undefined) return false;
  const call = { ...options, signal };
  try {
    for (;;) {
      const current = await context.catchUp.read(id, call);
      yield current;
      if (isFinal(current.operation)) return true;
      for (;;) {
        const notice = await inbox.take(signal);
        if (notice.kind === "lost") return false;
        if (notice.kind === "resync") break;
        yield { operation: notice.operation, request: { ...EVENTS_REQUEST } };
        if (isFinal(notice.operation)) return true;
      }
    }
  } finally {
    unsubscribe();
  }
}
