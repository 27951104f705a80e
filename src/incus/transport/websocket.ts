/**
 * `client.operations.websocket()`: one of an operation's websockets, over a
 * connection of its own to the daemon, as a `WebSocket` whose reads keep
 * the paced socket's bounds (see `event_socket.ts`).
 *
 * @module
 */

import { InvalidArgumentError } from "../../core/errors.ts";
import { operationId } from "../operation_id.ts";
import { eventSocket } from "./event_socket.ts";
import { openPacedWebSocket } from "./paced_handshake.ts";
import type { Transport } from "./transport.ts";

/**
 * Options of `client.operations.websocket(id, secret, options)`, which
 * opens one websocket of an operation.
 *
 * @example
 * ```ts
 * import type { WebSocketOptions } from "@incusops/operations";
 *
 * const options: WebSocketOptions = { signal: AbortSignal.timeout(5_000) };
 * console.log(options.signal?.aborted); // false
 * ```
 */
export interface WebSocketOptions {
  /** Aborts the opening; the call rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Opens `/1.0/operations/<id>/websocket?secret=<secret>` and resolves once
 * it is open, with `binaryType` "arraybuffer". The secret never appears in
 * an error message.
 */
export async function openOperationWebSocket(
  transport: Transport,
  id: string,
  secret: string,
  options: WebSocketOptions = {},
): Promise<WebSocket> {
  const uuid = operationId(id);
  if (typeof secret !== "string" || secret === "") {
    throw new InvalidArgumentError("invalid websocket secret: expected a non-empty string");
  }
  const path = `/1.0/operations/${uuid}/websocket`;
  const query = `secret=${encodeURIComponent(secret)}`;
  const hint = "wrong or used secret, finished operation, or no websocket operation";
  return eventSocket(await openPacedWebSocket(transport, path, query, hint, options.signal));
}
