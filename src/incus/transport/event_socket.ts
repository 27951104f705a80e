/**
 * A {@linkcode PacedWebSocket} as a `WebSocket`-like event target: what
 * the event stream, the shared events connection and
 * `client.operations.websocket()` hand out (`readyState`, `send()`,
 * `close()`, `message`, `error` and `close` events, `onmessage`-style
 * handlers), over a connection of its own that can be unref'd (an idle
 * events connection does not keep a finished script alive). Unlike Deno's
 * `WebSocket`, its reads keep the paced socket's bounds: a message at most
 * `maxResponseBytes` (each fragment counting 1 KiB at least), control
 * frames of 125 bytes, one pong queued, 4 MiB of sends queued; a breach
 * ends it with an `error` event and the typed error in `error`.
 *
 * @module
 */

import type { PacedWebSocket } from "./paced_websocket.ts";

/** The paced socket as a `WebSocket`, with `ref()`/`unref()` and the error that ended it. */
export type EventSocket = WebSocket & {
  /** The connection keeps the process alive (the default). */
  ref(): void;
  /** The connection no longer keeps the process alive (while idle). */
  unref(): void;
  /**
   * Why the connection ended, once closed, when the daemon broke a bound: a
   * `ProtocolError` (a message too large...), or a `ConnectionError` (it stopped
   * reading: over 4 MiB of sends queued).
   */
  readonly error?: unknown;
};

const decoder = new TextDecoder();

/**
 * Wraps an open {@linkcode PacedWebSocket} as an {@linkcode EventSocket}
 * that reads every message as it comes (nothing is queued: a message with
 * no listener is dropped) and dispatches `message` events (text as a
 * string, bytes as an `ArrayBuffer`, or a `Blob` with `binaryType`
 * "blob"), then `error` when a bound was breached, then one `CloseEvent`.
 */
export function eventSocket(paced: PacedWebSocket): EventSocket {
  const socket = Object.assign(new EventTarget(), {
    CONNECTING: WebSocket.CONNECTING,
    OPEN: WebSocket.OPEN,
    CLOSING: WebSocket.CLOSING,
    CLOSED: WebSocket.CLOSED,
    binaryType: "arraybuffer" as BinaryType,
    readyState: WebSocket.OPEN as number,
    protocol: "",
    extensions: "",
    error: undefined as unknown,
    close() {
      if (socket.readyState >= WebSocket.CLOSING) return;
      socket.readyState = WebSocket.CLOSING;
      paced.close();
    },
    send(data: string | ArrayBuffer | ArrayBufferView) {
      if (socket.readyState !== WebSocket.OPEN) return;
      const bytes = typeof data === "string"
        ? data
        : ArrayBuffer.isView(data)
        ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
        : new Uint8Array(data);
      paced.send(bytes).catch(() => {});
    },
    ref: () => paced.ref(),
    unref: () => paced.unref(),
  });
  Object.defineProperty(socket, "bufferedAmount", { get: () => paced.bufferedAmount });
  for (const type of ["open", "message", "error", "close"]) {
    let handler: EventListener | null = null;
    Object.defineProperty(socket, `on${type}`, {
      get: () => handler,
      set(value: unknown) {
        if (handler !== null) socket.removeEventListener(type, handler);
        handler = typeof value === "function" ? value as EventListener : null;
        if (handler !== null) socket.addEventListener(type, handler);
      },
    });
  }
  (async () => {
    for (;;) {
      const message = await paced.read().catch((error) => (socket.error = error, null));
      if (message === null) break;
      if (socket.readyState !== WebSocket.OPEN) continue; // closing: dropped, as WebSocket does
      const data = message.type === "text"
        ? message.text
        : socket.binaryType === "blob"
        ? new Blob([message.data.slice()])
        : message.data.slice().buffer;
      socket.dispatchEvent(new MessageEvent("message", { data }));
    }
    socket.readyState = WebSocket.CLOSED;
    const error = socket.error ??= paced.error;
    if (error !== undefined) {
      socket.dispatchEvent(new ErrorEvent("error", { error, message: (error as Error).message }));
    }
    const frame = paced.closeFrame;
    socket.dispatchEvent(
      new CloseEvent("close", {
        wasClean: frame !== undefined,
        code: frame === undefined ? 1006 : frame.length < 2 ? 1005 : (frame[0] << 8) | frame[1],
        reason: decoder.decode(frame?.subarray(2)),
      }),
    );
  })();
  return socket as unknown as EventSocket;
}
