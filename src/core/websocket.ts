/**
 * Helpers for Deno's `WebSocket` that any layer may use: clients and the
 * fake servers alike.
 *
 * @module
 */

import { systemClock } from "./deadlines.ts";

/**
 * Resolves once `socket` is closed (at once if it already is).
 *
 * @param socket A client or server `WebSocket`.
 * @returns Resolves on its `close` event.
 *
 * @example
 * ```ts
 * import { whenClosed } from "./websocket.ts";
 *
 * const { promise, resolve } = Promise.withResolvers<void>();
 * const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => resolve() }, (request) => {
 *   const { socket, response } = Deno.upgradeWebSocket(request);
 *   socket.onopen = () => socket.close();
 *   return response;
 * });
 * await promise;
 * const client = new WebSocket(`ws://127.0.0.1:${server.addr.port}`);
 * await whenClosed(client);
 * console.log(client.readyState === WebSocket.CLOSED); // true
 * await server.shutdown();
 * ```
 */
export function whenClosed(socket: WebSocket): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) =>
    socket.addEventListener("close", () => resolve(), { once: true })
  );
}

/**
 * How long closing a websocket waits for the peer's close reply, ms.
 *
 * @example
 * ```ts
 * import { CLOSE_REPLY_MS } from "./websocket.ts";
 *
 * console.log(CLOSE_REPLY_MS); // 2000
 * ```
 */
export const CLOSE_REPLY_MS = 2_000;

/**
 * Closes `socket` and resolves once it is closed, or after `limitMs` when
 * the peer never answers the close (Deno's `WebSocket` would wait for that
 * reply for as long as the connection lasts): closing never hangs on a hung
 * peer. Such a socket ends when the peer drops it.
 *
 * @param socket A client or server `WebSocket`.
 * @param limitMs The longest wait for the peer's reply, ms.
 * @returns Resolves once closed, or after `limitMs`.
 *
 * @example
 * ```ts
 * import { closeWebSocket } from "./websocket.ts";
 *
 * const { promise, resolve } = Promise.withResolvers<void>();
 * const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => resolve() }, (request) => {
 *   const { response } = Deno.upgradeWebSocket(request);
 *   return response;
 * });
 * await promise;
 * const client = new WebSocket(`ws://127.0.0.1:${server.addr.port}`);
 * await new Promise((open) => client.onopen = open);
 * await closeWebSocket(client);
 * console.log(client.readyState === WebSocket.CLOSED); // true
 * await server.shutdown();
 * ```
 */
export async function closeWebSocket(socket: WebSocket, limitMs = CLOSE_REPLY_MS): Promise<void> {
  closeIfOpen(socket);
  let silence = () => {};
  const late = new Promise<void>((resolve) => silence = systemClock.alarm(limitMs, resolve, true));
  await Promise.race([whenClosed(socket), late]);
  silence();
}

/**
 * Starts closing `socket` unless it is closing or closed already.
 *
 * @param socket A client or server `WebSocket`.
 *
 * @example
 * ```ts
 * import { closeIfOpen } from "./websocket.ts";
 *
 * const { promise, resolve } = Promise.withResolvers<void>();
 * const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => resolve() }, (request) => {
 *   const { socket, response } = Deno.upgradeWebSocket(request);
 *   socket.onopen = () => socket.close();
 *   return response;
 * });
 * await promise;
 * const client = new WebSocket(`ws://127.0.0.1:${server.addr.port}`);
 * closeIfOpen(client); // still connecting: closed at once
 * await new Promise((closed) => client.onclose = closed);
 * await server.shutdown();
 * ```
 */
export function closeIfOpen(socket: WebSocket): void {
  if (socket.readyState === WebSocket.CONNECTING || socket.readyState === WebSocket.OPEN) {
    socket.close();
  }
}
