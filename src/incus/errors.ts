/**
 * The errors of the Incus/LXD client for answers the server refused. The
 * shared classes (connection, protocol, argument, operation outcomes) are in
 * the core layer.
 *
 * @module
 */

import { ConnectionError, type ErrorInit, IncusOpsError } from "../core/errors.ts";
import type { Operation } from "./operation.ts";

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

/** A cluster member that could not be heard from, and where it listens. */
export interface UnreachableMember {
  /** The member's name (`server_name`), e.g. `m3`. */
  name: string;
  /** Its cluster address, e.g. `https://10.0.0.3:8443` (`""` when unknown). */
  address: string;
}

/** What a {@linkcode MemberUnreachableError} is made from. */
export interface MemberUnreachableInit extends ErrorInit {
  /** The members that could not be heard from. */
  members: UnreachableMember[];
  /** The operations that were heard (a partial list; `[]` for a wait). */
  operations?: Operation[];
  /** The ids of the operations heard (also for `recursion: 0` lists). */
  ids?: string[];
  /** The operation a wait was following, if any. */
  operationId?: string;
}

/**
 * A cluster answered, but one or more of its members could not be heard
 * from: a list that would silently lack their operations, or a wait on an
 * operation running on such a member (after the wait's member grace).
 * `members` names them and their addresses, `operations` (and `ids`) hold
 * what was heard, `operationId` the awaited operation. A
 * {@linkcode ConnectionError} whose `endpoint` is the members' addresses.
 *
 * @example
 * ```ts
 * import { ConnectionError, MemberUnreachableError } from "@incusops/operations";
 *
 * const error = new MemberUnreachableError("cluster member m3 is unreachable", {
 *   members: [{ name: "m3", address: "https://10.0.0.3:8443" }],
 * });
 * console.log(error instanceof ConnectionError, error.members[0].name); // true "m3"
 * ```
 */
export class MemberUnreachableError extends ConnectionError {
  /** The members that could not be heard from. */
  readonly members: UnreachableMember[];
  /** The operations that were heard (`[]` for a wait or a list of ids). */
  readonly operations: Operation[];
  /** The ids of the operations that were heard. */
  readonly ids: string[];
  /** The operation a wait was following, if any. */
  readonly operationId: string | undefined;

  /**
   * Creates the error.
   *
   * @param message What could not be heard, and what was.
   * @param init The members, what was heard, and the request.
   */
  constructor(message: string, init: MemberUnreachableInit) {
    super(message, {
      ...init,
      endpoint: init.members.map((member) => member.address || member.name).join(", "),
    });
    this.name = "MemberUnreachableError";
    this.members = init.members;
    this.operations = init.operations ?? [];
    this.ids = init.ids ?? this.operations.map((operation) => operation.id);
    this.operationId = init.operationId;
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

/** What a {@linkcode SyncAnswerError} is made from. */
export interface SyncAnswerInit extends ErrorInit {
  /** The socket path or URL that answered. */
  endpoint: string;
  /** The sync answer's `metadata`. */
  metadata: unknown;
}

/**
 * `client.startOperation()` was answered synchronously: the daemon applied
 * the write and started no operation. Not a {@linkcode ConnectionError}
 * (the answer was usable): sending the write again would repeat it. Use
 * `client.query()` for such endpoints; a documented sync endpoint is a
 * type error already.
 *
 * @example
 * ```ts
 * import { connect, SyncAnswerError } from "@incusops/operations";
 * import { FakeDaemon } from "@incusops/operations/testing";
 *
 * await using daemon = await FakeDaemon.start();
 * await using client = connect({ socket: daemon.path });
 * const path: string = "/1.0"; // a plain string: not checked
 * try {
 *   await client.startOperation(path, { method: "PUT", body: {} });
 * } catch (error) {
 *   if (error instanceof SyncAnswerError) console.log(error.method, error.path); // "PUT" "/1.0"
 * }
 * ```
 */
export class SyncAnswerError extends IncusOpsError {
  /** The socket path or URL that answered. */
  readonly endpoint: string;
  /** The sync answer's `metadata`. */
  readonly metadata: unknown;

  /**
   * Creates the error.
   *
   * @param message What was applied, and the fix.
   * @param init The request, the endpoint and the answer.
   */
  constructor(message: string, init: SyncAnswerInit) {
    super(message, init);
    this.name = "SyncAnswerError";
    this.endpoint = init.endpoint;
    this.metadata = init.metadata;
  }
}
