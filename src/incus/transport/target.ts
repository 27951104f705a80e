/**
 * Where a client connects: one type for the socket, URL and certificate
 * fields that `connect()`, the transport and `config.yml` remotes share.
 *
 * @module
 */

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
