/**
 * Bare `fetch`, the limit of every workload: one pooled client over the
 * Unix socket with the library's pool options, the envelope's type checked.
 *
 * @module
 */

import { UNIX_POOL_IDLE_MS } from "../../src/incus/transport/connections.ts";

/** A pooled HTTP client over `socket`, configured as the library's. */
export function bareClient(socket: string): Deno.HttpClient {
  return Deno.createHttpClient({
    proxy: { transport: "unix", path: socket },
    poolIdleTimeout: UNIX_POOL_IDLE_MS,
  });
}

/** `GET path` with bare fetch; resolves with the envelope's metadata. */
export async function bareJson(client: Deno.HttpClient, path: string): Promise<unknown> {
  const response = await fetch(`http://127.0.0.1${path}`, { client });
  const envelope = await response.json();
  if (envelope.type !== "sync") throw new Error(`${path}: ${JSON.stringify(envelope)}`);
  return envelope.metadata;
}
