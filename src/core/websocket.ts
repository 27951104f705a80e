/**
 * Helpers for Deno's `WebSocket` that any layer may use: clients and the
 * fake servers alike.
 *
 * @module
 */

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
