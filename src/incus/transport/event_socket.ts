/**
 * The `/1.0/events` connection as a `WebSocket`-like event target (what
 * the event stream and the shared events connection use: `readyState`,
 * `message` and `close` events, `close()`), over a connection of its own
 * that can be unref'd: an idle events connection does not keep a finished
 * script alive, which Deno's `WebSocket` cannot offer.
 *
 * @module
 */

import type { PacedWebSocket } from "./paced_websocket.ts";

/** The events connection: a `WebSocket` to its users, with `ref()`/`unref()`. */
export type EventSocket = WebSocket & {
  /** The connection keeps the process alive (the default). */
  ref(): void;
  /** The connection no longer keeps the process alive (while idle). */
  unref(): void;
  /** Why the connection ended, once closed, when the daemon broke the protocol (a `ProtocolError`). */
  readonly error?: unknown;
};

/** Lets `socket` keep the process alive or not, when it can (an {@linkcode EventSocket}). */
export function refSocket(socket: WebSocket, alive: boolean): void {
  const handle = socket as Partial<EventSocket>;
  if (alive) handle.ref?.();
  else handle.unref?.();
}

/**
 * Wraps an open {@linkcode PacedWebSocket} as an {@linkcode EventSocket}
 * that reads every message as it comes (the stream's own queue bounds
 * what is kept) and dispatches `message` events with text `data`, then one
 * `close` event.
 */
export function eventSocket(paced: PacedWebSocket): EventSocket {
  const socket = Object.assign(new EventTarget(), {
    CONNECTING: WebSocket.CONNECTING,
    OPEN: WebSocket.OPEN,
    CLOSING: WebSocket.CLOSING,
    CLOSED: WebSocket.CLOSED,
    binaryType: "arraybuffer",
    readyState: WebSocket.OPEN as number,
    error: undefined as unknown,
    close() {
      if (socket.readyState >= WebSocket.CLOSING) return;
      socket.readyState = WebSocket.CLOSING;
      paced.close();
    },
    send(data: string | Uint8Array) {
      paced.send(data).catch(() => {});
    },
    ref: () => paced.ref(),
    unref: () => paced.unref(),
  });
  (async () => {
    for (;;) {
      const message = await paced.read().catch((error) => (socket.error = error, null));
      if (message === null) break;
      const data = message.type === "text" ? message.text : message.data.slice().buffer;
      socket.dispatchEvent(new MessageEvent("message", { data }));
    }
    socket.readyState = WebSocket.CLOSED;
    socket.dispatchEvent(new Event("close"));
  })();
  return socket as unknown as EventSocket;
}
