/**
 * Opening an operation's websocket over the client's own connection (Unix
 * socket or TLS), with Deno's built-in `WebSocket`: no dependency.
 *
 * @module
 */

import { ConnectionError, InvalidArgumentError } from "./errors.ts";
import { operationId } from "./id.ts";
import type { Transport } from "./transport.ts";

/** Options of {@linkcode openOperationWebSocket}. */
export interface WebSocketOptions {
  /** Aborts the opening; the call rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** The longest a websocket may take to open, ms. */
const OPEN_TIMEOUT_MS = 30_000;

/**
 * Opens `/1.0/operations/<id>/websocket?secret=<secret>` and resolves once
 * it is open, with `binaryType` "arraybuffer". The secret never appears in
 * an error message.
 */
export function openOperationWebSocket(
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
  const { signal } = options;
  signal?.throwIfAborted();
  if (transport.closed) {
    throw new ConnectionError(`websocket ${path}: the client for ${transport.target} is closed`, {
      status: 0,
      method: "GET",
      path,
      target: transport.target,
    });
  }
  const origin = transport.origin.replace(/^http/, "ws");
  const url = `${origin}${path}?secret=${encodeURIComponent(secret)}`;
  const socket = new WebSocket(url, { client: transport.httpClient } as unknown as string[]);
  socket.binaryType = "arraybuffer";
  return new Promise<WebSocket>((resolve, reject) => {
    const fail = (error: unknown) => {
      cleanup();
      socket.onclose = null;
      if (socket.readyState === WebSocket.CLOSED) reject(error);
      else {
        // Reject once the socket is really closed, so nothing is left open.
        socket.onclose = () => reject(error);
        socket.close();
      }
    };
    const onAbort = () => fail(signal!.reason);
    const timer = setTimeout(
      () =>
        fail(
          new ConnectionError(
            `websocket ${path}: not open after ${OPEN_TIMEOUT_MS} ms on ${transport.target}`,
            { status: 0, method: "GET", path, target: transport.target },
          ),
        ),
      OPEN_TIMEOUT_MS,
    );
    const cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      socket.onopen = null;
      socket.onerror = null;
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    socket.onopen = () => {
      cleanup();
      resolve(socket);
    };
    socket.onerror = () => {
      // The event's text may hold the URL, and so the secret: not shown.
      fail(
        new ConnectionError(
          `websocket ${path}: the daemon at ${transport.target} refused or dropped it ` +
            `(wrong or used secret, finished operation, or no websocket operation)`,
          { status: 0, method: "GET", path, target: transport.target },
        ),
      );
    };
  });
}
