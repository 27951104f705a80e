/**
 * Where a client connects: one type for the socket, URL and certificate
 * fields that `connect()`, the transport and `config.yml` remotes share;
 * what a {@linkcode Transport} is made with ({@linkcode TransportTarget})
 * and what each of its requests takes ({@linkcode RequestInit}).
 *
 * @module
 */

import type { Clock } from "../../core/deadlines.ts";
import type { RetryOption } from "../../core/retry.ts";
// deno-lint-ignore no-unused-vars -- for {@linkcode} in the docs
import type { Transport } from "./transport.ts";
import type { GetToken } from "./auth.ts";

/**
 * The daemon to reach: its Unix socket, or an HTTPS URL with a client
 * certificate and what the server's certificate must chain to.
 *
 * @example
 * ```ts
 * import type { ConnectionTarget } from "@incusops/operations";
 *
 * const local: ConnectionTarget = { socket: "/var/lib/incus/unix.socket" };
 * const remote: ConnectionTarget = { url: "https://incus.example.net:8443" };
 * console.log(local.socket, remote.url);
 * ```
 */
export interface ConnectionTarget {
  /**
   * Path of the daemon's Unix socket.
   *
   * @default {undefined} (`connect()` searches the usual paths when no `url` is given either)
   */
  socket?: string;
  /** `https://host:8443` of a remote daemon (instead of a socket). */
  url?: string;
  /** PEM client certificate for a remote (trusted by the server). */
  cert?: string;
  /** PEM private key of `cert`. */
  key?: string;
  /**
   * PEM CA certificate(s) the remote's certificate must chain to, in
   * addition to Deno's root store (see `serverCert`).
   */
  ca?: string | string[];
  /**
   * The remote's own (self-signed) PEM certificate, pinned. The certificate
   * is always verified; there is no "skip verify". Not exclusive: Deno 2.9
   * can only add a trusted certificate to its root store (Mozilla's roots,
   * or the system's with `DENO_TLS_CA_STORE=system`, plus `DENO_CERT`), and
   * shows no peer certificate to check afterwards, so a certificate for the
   * remote's name from any of those CAs is accepted too. The incus command
   * line does the same: it adds the pinned certificate to the system pool.
   */
  serverCert?: string;
  /**
   * A bearer token (an OIDC access token) sent as `authorization: Bearer`
   * on every request and websocket; alone or with `cert`/`key`, as the
   * server allows (Incus with `oidc.issuer` set; LXD 5.0 has no OIDC). A
   * secret: never shown in errors or `Deno.inspect`.
   */
  token?: string;
  /**
   * Gives the bearer token before each attempt (instead of `token`); called
   * once more with `forceRefresh: true` when the server refuses a token,
   * and the request is retried once with the new one.
   */
  getToken?: GetToken;
}

/** Where and how to reach the daemon. */
export interface TransportTarget extends Omit<ConnectionTarget, "serverCert"> {
  /**
   * Longest time one request may take before it is abandoned, in ms.
   *
   * @default {60_000}
   */
  requestTimeout?: number;
  /**
   * Largest response body accepted, in bytes (64 MiB).
   *
   * @default {67_108_864}
   */
  maxResponseBytes?: number;
  /**
   * With `url`: other members of the same cluster (HTTPS URLs) to move to
   * when the one in use stops answering; more are learned from
   * `/1.0/cluster/members`. See `failover.ts`.
   */
  members?: readonly string[];
  /** What to do when the server refuses the bearer token (ends the error message). */
  authHint?: string;
  /** The remote named in authentication errors (default: the socket path or URL origin). */
  remoteName?: string;
  /** Where request time limits read the time (default: the system's). */
  clock?: Clock;
  /** The client's retry policy of GETs (`connect({ retry })`). */
  retry?: RetryOption;
}

/** Options of one request. */
export interface RequestInit {
  /** Query string, already encoded, without the leading `?`. */
  query?: string;
  /** JSON body. */
  body?: unknown;
  /** Aborts the request; the request rejects with the signal's reason. */
  signal?: AbortSignal;
  /** This request's own time limit in ms (replaces `requestTimeout`). */
  timeout?: number;
  /**
   * Send it on a new connection of its own instead of the pool's, closed
   * when the answer is read. For `/wait` long-polls, which hold their
   * connection for up to a slice: they leave the pool to short calls and
   * never make it open spare connections (see `UNIX_POOL_IDLE_MS` in connections.ts).
   */
  fresh?: boolean;
}
