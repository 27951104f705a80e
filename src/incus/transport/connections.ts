/**
 * How the transport reaches the daemon: the options of its pooled
 * `Deno.HttpClient` (a Unix socket, or TLS with the client certificate and
 * the trusted CAs), a client made from them, and a raw connection of its
 * own for what `fetch` cannot pace (exec's websockets).
 *
 * @module
 */

import { InvalidArgumentError } from "../../core/errors.ts";

/** How long an idle pooled Unix connection is kept, ms (see the Unix socket client options in `transport.ts`). */
export const UNIX_POOL_IDLE_MS = 200;

/** A `Deno.HttpClient`'s options, the client certificate and key kept for raw TLS connections. */
export type ClientOptions = Deno.CreateHttpClientOptions & { cert?: string; key?: string };

/**
 * Makes a `Deno.HttpClient` with `options`; a certificate, key or CA Deno
 * cannot read is an {@linkcode InvalidArgumentError} naming `endpoint`.
 */
export function createHttpClient(options: ClientOptions, endpoint: string): Deno.HttpClient {
  try {
    return Deno.createHttpClient(options as Deno.CreateHttpClientOptions);
  } catch (error) {
    // Deno refuses a certificate, key or CA it cannot read (InvalidData):
    // bad options, nothing was sent. The PEM text is never shown. Anything
    // else (a missing permission) is left to the caller's error handling.
    if (!(error instanceof Deno.errors.InvalidData)) throw error;
    throw new InvalidArgumentError(
      `invalid TLS options for ${endpoint}: cert, key, ca and serverCert must be PEM ` +
        `(${error instanceof Error ? error.name : "error"})`,
    );
  }
}

/**
 * Opens a connection of its own to the daemon: the Unix socket at `endpoint`,
 * or TLS (HTTP/1.1) to `origin` with the options' client certificate and
 * CAs, handshake done. Resolves with the connection and the `Host` to
 * name; rejects with Deno's error (the caller explains it).
 */
export async function connectRaw(
  isSocket: boolean,
  endpoint: string,
  origin: string,
  options: ClientOptions,
): Promise<{ conn: Deno.Conn; host: string }> {
  if (isSocket) {
    const conn = await Deno.connect({ transport: "unix", path: endpoint });
    return { conn, host: "127.0.0.1" };
  }
  const url = new URL(origin);
  const conn = await Deno.connectTls({
    hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: Number(url.port || 443),
    caCerts: options.caCerts,
    ...(options.cert !== undefined && options.key !== undefined
      ? { cert: options.cert, key: options.key }
      : {}),
    alpnProtocols: ["http/1.1"],
  });
  try {
    await conn.handshake();
  } catch (error) {
    conn.close();
    throw error;
  }
  return { conn, host: url.host };
}
