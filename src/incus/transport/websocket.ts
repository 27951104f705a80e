/**
 * Opening an operation's websocket over the client's own connection (Unix
 * socket or TLS), with Deno's built-in `WebSocket`: no dependency.
 *
 * @module
 */

import { ConnectionError, InvalidArgumentError, ResponseTimeoutError } from "../../core/errors.ts";
import { closedError } from "./transport_errors.ts";
import { operationId } from "../operation_id.ts";
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

/** The longest a websocket (fetch's or a paced one) may take to open, ms. */
export const OPEN_TIMEOUT_MS = 30_000;

/** The error of a websocket not open within {@linkcode OPEN_TIMEOUT_MS}. */
export function notOpenError(path: string, endpoint: string): ConnectionError {
  return new ConnectionError(
    `websocket ${path}: not open after ${OPEN_TIMEOUT_MS} ms on ${endpoint}`,
    { status: 0, method: "GET", path, endpoint },
  );
}

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
  return openWebSocket(
    transport,
    `/1.0/operations/${uuid}/websocket`,
    `secret=${encodeURIComponent(secret)}`,
    "wrong or used secret, finished operation, or no websocket operation",
    options,
  );
}

/**
 * Opens a websocket on `path?query` over the transport's own connection
 * and resolves once it is open. Errors name the path and the endpoint, and
 * `hint` (likely causes of a refusal), never the query (it may hold a
 * secret).
 */
export function openWebSocket(
  transport: Transport,
  path: string,
  query: string,
  hint: string,
  options: WebSocketOptions = {},
): Promise<WebSocket> {
  const { signal } = options;
  // Once, or twice with a refreshed bearer token (withBearer).
  return withBearer(transport, path, signal, (headers) => {
    signal?.throwIfAborted();
    const fault = { status: 0, method: "GET", path, endpoint: transport.endpoint };
    if (transport.closed) {
      throw new ConnectionError(
        `websocket ${path}: the client for ${fault.endpoint} is closed`,
        fault,
      );
    }
    const origin = transport.origin.replace(/^http/, "ws");
    const url = query === "" ? `${origin}${path}` : `${origin}${path}?${query}`;
    const init = headers === undefined
      ? { client: transport.httpClient }
      : { client: transport.httpClient, headers };
    const socket = new WebSocket(url, init as unknown as string[]);
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
      const timer = setTimeout(() => fail(notOpenError(path, transport.endpoint)), OPEN_TIMEOUT_MS);
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
      socket.onerror = (event) => {
        // The event's text may hold the URL, and so a secret: only the status is kept.
        const status = /status code:? (\d{3})/i.exec((event as ErrorEvent).message ?? "")?.[1];
        fail(
          new ConnectionError(
            `websocket ${path}: the daemon at ${transport.endpoint} refused or dropped it` +
              `${status === undefined ? "" : ` (HTTP ${status})`} (${hint})`,
            { ...fault, status: Number(status ?? 0) },
          ),
        );
      };
    });
  });
}

/**
 * Opens a websocket with `open`, adding the client's bearer token (if any)
 * to the handshake's headers: with `getToken`, one forced refresh and one
 * retry when the daemon refuses it (HTTP 401), then an
 * `AuthenticationError`. Over TLS, where Deno's `WebSocket` does not say why
 * a handshake failed, the server is asked whether it takes the token.
 *
 * @param transport The client's transport (its `auth`).
 * @param path The websocket's path, for errors.
 * @param signal Aborts the opening.
 * @param open Opens the websocket once with the given handshake headers.
 * @returns What `open` resolves with.
 */
export function withBearer<T>(
  transport: Transport,
  path: string,
  signal: AbortSignal | undefined,
  open: (headers?: Record<string, string>) => Promise<T>,
): Promise<T> {
  const auth = transport.auth;
  if (auth === undefined) return open();
  signal?.throwIfAborted();
  // The token is fetched under the call's signal, the request time limit and close().
  const limit = transport.requestTimeout;
  const tokenSignal = AbortSignal.any([
    transport.closedSignal,
    AbortSignal.timeout(limit),
    ...signal ? [signal] : [],
  ]);
  let sent: string | undefined;
  const token = (refused?: string) =>
    auth.header(tokenSignal, refused).catch((error) => {
      if (signal?.aborted || !tokenSignal.aborted) throw error; // the caller's reason, or getToken's
      const endpoint = transport.endpoint;
      throw transport.closed
        ? closedError("GET", path, endpoint)
        : new ResponseTimeoutError(`websocket ${path}: no bearer token within ${limit} ms`, {
          method: "GET",
          path,
          endpoint,
        });
    });
  const attempt = async (refused?: string) =>
    await open({ authorization: sent = await token(refused) });
  const refusal = (error: unknown) =>
    error instanceof ConnectionError && error.status === 401 ? error : undefined;
  const refused = (error: ConnectionError) =>
    auth.refused(`HTTP ${error.status} on the websocket handshake`, {
      status: 401,
      method: "GET",
      path,
      remote: transport.remoteName,
    });
  return attempt().catch(async (error) => {
    const first = refusal(error);
    if (first === undefined) {
      // Over TLS Deno does not say why a handshake failed: ask the server
      // whether it takes the token (a refusal throws the AuthenticationError,
      // after one forced refresh with getToken), and retry once if it was refreshed.
      if (!(error instanceof ConnectionError) || error.status !== 0) throw error;
      const refreshes = auth.refreshes;
      await transport.request("GET", "/1.0", { signal });
      if (auth.refreshes === refreshes) throw error;
      return await attempt();
    }
    if (!auth.refreshable) throw refused(first);
    return await attempt(sent).catch((again) => {
      const second = refusal(again);
      throw second === undefined ? again : refused(second);
    });
  }).catch((error) => {
    throw auth.clean(error);
  });
}

export { closeIfOpen, closeWebSocket, whenClosed } from "../../core/websocket.ts";
