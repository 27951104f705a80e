/**
 * The opening handshake of a {@linkcode PacedWebSocket}: a connection of its
 * own to the daemon, the HTTP/1.1 upgrade request (with the bearer token
 * when the client has one), and the check of the daemon's answer, bounded
 * in time.
 *
 * @module
 */

import { concatBytes } from "../../core/body.ts";
import {
  ConnectionError,
  InvalidArgumentError,
  ProtocolError,
  ResponseTimeoutError,
} from "../../core/errors.ts";
import { abortable } from "../../core/signals.ts";
import { describeValue } from "../../core/validate.ts";
import { Ended, PacedWebSocket, writeAll } from "./paced_websocket.ts";
import type { Transport } from "./transport.ts";
import { closedError } from "./transport_errors.ts";
/** The longest a websocket (fetch's or a paced one) may take to open, ms. */
export const OPEN_TIMEOUT_MS = 30_000;

/** The error of a websocket not open within {@linkcode OPEN_TIMEOUT_MS}. */
export function notOpenError(path: string, endpoint: string): ConnectionError {
  return new ConnectionError(
    `websocket ${path}: not open after ${OPEN_TIMEOUT_MS} ms on ${endpoint}`,
    { status: 0, method: "GET", path, endpoint },
  );
}

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

const encoder = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/**
 * Opens `path?query` as a {@linkcode PacedWebSocket} on a connection of its
 * own to the transport's daemon, and resolves once the daemon accepted the
 * upgrade. Errors name the path, the endpoint and `hint`, never the query (it
 * holds a secret).
 */
export function openPacedWebSocket(
  transport: Transport,
  path: string,
  query: string,
  hint: string,
  signal?: AbortSignal,
): Promise<PacedWebSocket> {
  // Once, or twice with a refreshed bearer token (withBearer), each time on a new connection.
  return withBearer(transport, path, signal, async (headers) => {
    signal?.throwIfAborted();
    const init = { status: 0, method: "GET", path, endpoint: transport.endpoint };
    let reason: unknown;
    let conn: Deno.Conn | undefined;
    // The connect (a TLS handshake too) is under the same limits as the upgrade.
    const opening = new AbortController();
    const stop = (why: unknown) => {
      reason ??= why;
      opening.abort(reason);
      try {
        conn?.close();
      } catch {
        // already closed
      }
    };
    const onAbort = () => stop(signal!.reason);
    const onClose = () => stop(closedError("GET", path, transport.endpoint));
    signal?.addEventListener("abort", onAbort, { once: true });
    transport.closedSignal.addEventListener("abort", onClose, { once: true });
    const timer = setTimeout(() => stop(notOpenError(path, transport.endpoint)), OPEN_TIMEOUT_MS);
    try {
      const connecting = transport.connectRaw("GET", path);
      // A connection that completes after the limits won is closed at once.
      connecting.then((late) => opening.signal.aborted && late.conn.close(), () => {});
      const { conn: opened, host } = await abortable(connecting, opening.signal);
      conn = opened;
      opening.signal.throwIfAborted();
      const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
      await writeAll(
        opened,
        encoder.encode(
          `GET ${path}${query === "" ? "" : `?${query}`} HTTP/1.1\r\nHost: ${host}\r\n` +
            `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\n` +
            `Sec-WebSocket-Version: 13\r\n${headerLines(headers)}\r\n`,
        ),
      );
      const { head, rest } = await readHead(opened);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      if (status !== 101) {
        throw new ConnectionError(
          `websocket ${path}: the daemon at ${transport.endpoint} refused it` +
            `${status === 0 ? "" : ` (HTTP ${status})`} (${hint})`,
          { ...init, status },
        );
      }
      const digest = await crypto.subtle.digest("SHA-1", encoder.encode(key + GUID));
      const expected = btoa(String.fromCharCode(...new Uint8Array(digest)));
      const accept = /^sec-websocket-accept:\s*(\S+)/im.exec(head)?.[1];
      if (accept !== expected) {
        throw new ProtocolError(
          `websocket ${path}: ${transport.endpoint} accepted the upgrade without a valid ` +
            `Sec-WebSocket-Accept (is this an Incus or LXD daemon?)`,
          { ...init, status },
        );
      }
      return new PacedWebSocket(opened, rest, path, transport);
    } catch (error) {
      // A limit, the caller's signal or close() came first: its reason is the error.
      if (reason !== undefined) {
        stop(reason);
        throw reason;
      }
      stop(error);
      if (error instanceof ConnectionError) throw error;
      throw new ConnectionError(
        `websocket ${path}: the daemon at ${transport.endpoint} dropped it (${hint})`,
        { ...init, cause: error instanceof Error ? new Error(error.name) : undefined },
      );
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      transport.closedSignal.removeEventListener("abort", onClose);
    }
  });
}

/** Reads an HTTP response head; what follows it is kept as `rest`. */
async function readHead(conn: Deno.Conn): Promise<{ head: string; rest: Uint8Array }> {
  let received: Uint8Array = new Uint8Array(0);
  for (;;) {
    const block = new Uint8Array(4096);
    const got = await conn.read(block);
    if (got === null) throw new Ended("closed before the upgrade answer");
    received = concatBytes([received, block.subarray(0, got)]);
    const end = latin1.decode(received).indexOf("\r\n\r\n"); // one character a byte
    if (end >= 0) {
      return { head: latin1.decode(received.subarray(0, end)), rest: received.slice(end + 4) };
    }
    if (received.length > 16 * 1024) throw new Ended("an upgrade answer over 16 KiB");
  }
}

/** The handshake's extra header lines; a name or value holding CR or LF is refused. */
function headerLines(headers: Record<string, string> | undefined): string {
  let lines = "";
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) {
      throw new InvalidArgumentError(`invalid handshake header ${describeValue(name)}`);
    }
    lines += `${name}: ${value}\r\n`;
  }
  return lines;
}

/**
 * Opens a websocket with `open`, adding the client's bearer token (if any)
 * to the handshake's headers: with `getToken`, one forced refresh and one
 * retry when the daemon refuses it (HTTP 401), then an
 * `AuthenticationError`.
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
  const is401 = (error: unknown) => error instanceof ConnectionError && error.status === 401;
  const refused = () =>
    auth.refused("HTTP 401 on the websocket handshake", {
      status: 401,
      method: "GET",
      path,
      remote: transport.remoteName,
    });
  return attempt().catch(async (error) => {
    if (!is401(error)) throw error;
    if (!auth.refreshable) throw refused();
    return await attempt(sent).catch((again) => {
      throw is401(again) ? refused() : again;
    });
  }).catch((error) => {
    throw auth.clean(error);
  });
}
