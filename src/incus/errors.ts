/**
 * The errors of the Incus/LXD client for answers the server refused. The
 * shared classes (connection, protocol, argument, operation outcomes) are in
 * the core layer.
 *
 * @module
 */

import { type ErrorInit, IncusOpsError } from "../core/errors.ts";

/**
 * The Incus/LXD server refused the request: an error envelope or an HTTP
 * error status. `status` is the HTTP status (the envelope's `error_code`),
 * `message` the server's text, and `method`/`path` name the request.
 *
 * @example Tell server refusals apart
 * ```ts
 * import { connect, IncusError } from "@incusops/operations";
 * import { FakeDaemon } from "@incusops/operations/testing";
 *
 * await using daemon = await FakeDaemon.start();
 * await using client = connect({ socket: daemon.path });
 * try {
 *   await client.query("/1.0/instances/missing");
 * } catch (error) {
 *   if (error instanceof IncusError) console.log(error.status, error.path); // 404 "/1.0/instances/missing"
 * }
 * ```
 */
export class IncusError extends IncusOpsError {
  /**
   * Creates the error.
   *
   * @param message The server's error text.
   * @param init The HTTP status and the request it belongs to.
   */
  constructor(message: string, init: ErrorInit) {
    super(message, init);
    this.name = "IncusError";
  }
}

/**
 * The operation does not exist (any more). Finished operations are only kept
 * for a few seconds by the server, so an operation that finished a while ago
 * is reported this way.
 *
 * @example
 * ```ts
 * import { connect, OperationNotFoundError } from "@incusops/operations";
 * import { FakeDaemon } from "@incusops/operations/testing";
 *
 * await using daemon = await FakeDaemon.start();
 * await using client = connect({ socket: daemon.path });
 * try {
 *   await client.operations.get("00000000-0000-4000-8000-000000000000");
 * } catch (error) {
 *   if (error instanceof OperationNotFoundError) console.log("gone:", error.id);
 * }
 * ```
 */
export class OperationNotFoundError extends IncusError {
  /** The id that was asked for. */
  readonly id: string;

  /**
   * Creates the error.
   *
   * @param id The operation id.
   * @param message The text to show.
   * @param init The request.
   */
  constructor(id: string, message: string, init: ErrorInit) {
    super(message, init);
    this.name = "OperationNotFoundError";
    this.id = id;
  }
}

/**
 * The server refused to cancel the operation: it is not cancellable
 * (`may_cancel: false`), or no longer running.
 *
 * @example
 * ```ts
 * import { NotCancellableError } from "@incusops/operations";
 *
 * const error = new NotCancellableError("op-1", "Only running operations can be cancelled", {
 *   status: 400,
 *   method: "DELETE",
 *   path: "/1.0/operations/op-1",
 * });
 * console.log(error.status); // 400
 * ```
 */
export class NotCancellableError extends IncusError {
  /** The operation id. */
  readonly id: string;

  /**
   * Creates the error.
   *
   * @param id The operation id.
   * @param message The server's text.
   * @param init The request.
   */
  constructor(id: string, message: string, init: ErrorInit) {
    super(message, init);
    this.name = "NotCancellableError";
    this.id = id;
  }
}

/** What an {@linkcode AuthenticationError} is made from. */
export interface AuthenticationErrorInit extends ErrorInit {
  /** The remote (its URL, or the config.yml remote's name) that refused. */
  remote: string;
  /** The OIDC issuer the server named (`X-Incus-OIDC-Issuer`), if it named one. */
  issuer?: string;
}

/**
 * The server (or the OIDC issuer, refreshing a `config.yml` remote's
 * tokens) refused the bearer token: expired, for another audience,
 * signed by an unknown key, revoked or garbage. With `getToken`, one
 * forced refresh and one retry were tried first. It carries the remote and
 * the issuer the server named, never the token.
 *
 * @example
 * ```ts
 * import { AuthenticationError, connect } from "@incusops/operations";
 * import { FakeDaemon } from "@incusops/operations/testing";
 *
 * await using daemon = await FakeDaemon.start({ bearerToken: "right" });
 * await using client = connect({ socket: daemon.path, token: "wrong" });
 * try {
 *   await client.operations.list();
 * } catch (error) {
 *   if (error instanceof AuthenticationError) console.log(error.status, error.issuer); // 401 "https://issuer.fake.invalid"
 * }
 * ```
 */
export class AuthenticationError extends IncusError {
  /** The remote that refused: its URL or socket, or the `config.yml` remote's name. */
  readonly remote: string;
  /** The OIDC issuer the server named, if any. */
  readonly issuer: string | undefined;

  /**
   * Creates the error.
   *
   * @param message What was refused and the fix (never the token).
   * @param init The status, request, remote and issuer.
   */
  constructor(message: string, init: AuthenticationErrorInit) {
    super(message, init);
    this.name = "AuthenticationError";
    this.remote = init.remote;
    this.issuer = init.issuer;
  }
}
