/**
 * The errors this library throws. Everything the server refuses is an
 * {@linkcode IncusError}; input refused before anything is sent is an
 * {@linkcode InvalidArgumentError} (a `TypeError`).
 *
 * @module
 */

import type { Operation } from "./operation.ts";

/** Where a server error came from: the request that got it. */
export interface IncusErrorInit {
  /** The server's error code (`error_code`), or the HTTP status. */
  status: number;
  /** The HTTP method of the request. */
  method: string;
  /** The request path, e.g. `/1.0/operations/<id>`. */
  path: string;
  /** The error that caused this one, if any. */
  cause?: unknown;
}

/**
 * The base class of every error the server (or the connection to it) causes.
 * `status` is the server's `error_code` (an HTTP status), `message` is the
 * server's text, and `method`/`path` name the request.
 *
 * @example Tell server errors apart
 * ```ts no-eval
 * import { connect, IncusError } from "@incusops/operations";
 *
 * await using client = connect();
 * try {
 *   await client.query("/1.0/instances/missing");
 * } catch (error) {
 *   if (error instanceof IncusError) console.log(error.status, error.message);
 * }
 * ```
 */
export class IncusError extends Error {
  /** The server's error code (an HTTP status), 0 when there was no answer. */
  readonly status: number;
  /** The HTTP method of the failed request. */
  readonly method: string;
  /** The path of the failed request. */
  readonly path: string;

  /**
   * Creates the error.
   *
   * @param message The server's error text.
   * @param init The status and request it belongs to.
   */
  constructor(message: string, init: IncusErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "IncusError";
    this.status = init.status;
    this.method = init.method;
    this.path = init.path;
  }
}

/**
 * The daemon could not be reached, or its answer could not be read: the
 * socket is missing or refuses, permissions are lacking, the TLS handshake
 * failed, the connection broke, the answer was not an Incus/LXD envelope or
 * was too large. The message names the socket path or URL and the fix.
 *
 * @example
 * ```ts no-eval
 * import { connect, ConnectionError } from "@incusops/operations";
 *
 * await using client = connect({ socket: "/nonexistent/unix.socket" });
 * try {
 *   await client.operations.list();
 * } catch (error) {
 *   if (error instanceof ConnectionError) console.error(error.message);
 * }
 * ```
 */
export class ConnectionError extends IncusError {
  /** The socket path or URL that was tried. */
  readonly target: string;

  /**
   * Creates the error.
   *
   * @param message What went wrong and how to fix it.
   * @param init The request, and `target`: the socket path or URL.
   */
  constructor(message: string, init: IncusErrorInit & { target: string }) {
    super(message, init);
    this.name = "ConnectionError";
    this.target = init.target;
  }
}

/**
 * The operation does not exist (any more). Finished operations are only kept
 * for a few seconds by the server, so an operation that finished a while ago
 * is reported this way.
 *
 * @example
 * ```ts no-eval
 * import { connect, OperationNotFoundError } from "@incusops/operations";
 *
 * await using client = connect();
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
  constructor(id: string, message: string, init: IncusErrorInit) {
    super(message, init);
    this.name = "OperationNotFoundError";
    this.id = id;
  }
}

/**
 * The operation finished with status Failure. `err` is the server's error
 * text for the operation, and `operation` the final operation when the
 * server still served it. The type parameter is the operation's type (a
 * google.longrunning `Operation` for `LongRunningFailedError`).
 *
 * @example
 * ```ts no-eval
 * import { connect, OperationFailedError } from "@incusops/operations";
 *
 * await using client = connect();
 * try {
 *   await client.query("/1.0/instances/c1/exec", {
 *     method: "POST",
 *     body: { command: ["missing-command"], "wait-for-websocket": false },
 *     wait: true,
 *   });
 * } catch (error) {
 *   if (error instanceof OperationFailedError) console.log(error.err);
 * }
 * ```
 */
export class OperationFailedError<O = Operation> extends IncusError {
  /** The operation id (or name). */
  readonly id: string;
  /** The server's error text for the operation. */
  readonly err: string;
  /** The final operation, if the server still had it. */
  readonly operation: O | undefined;

  /**
   * Creates the error.
   *
   * @param id The operation id.
   * @param err The operation's error text.
   * @param init The request, and the final `operation` if known.
   */
  constructor(id: string, err: string, init: IncusErrorInit & { operation?: O }) {
    super(`operation ${id} failed: ${err}`, init);
    this.name = "OperationFailedError";
    this.id = id;
    this.err = err;
    this.operation = init.operation;
  }
}

/**
 * The operation ended as Cancelled (by this client or anyone else). Also
 * thrown by the google.longrunning client for rpc code 1 (CANCELLED).
 *
 * @example
 * ```ts no-eval
 * import { connect, OperationCancelledError } from "@incusops/operations";
 *
 * await using client = connect();
 * try {
 *   await client.operations.wait("00000000-0000-4000-8000-000000000000");
 * } catch (error) {
 *   if (error instanceof OperationCancelledError) console.log("cancelled");
 * }
 * ```
 */
export class OperationCancelledError<O = Operation> extends IncusError {
  /** The operation id (or name). */
  readonly id: string;
  /** The final operation, if known (a google.longrunning `Operation` there). */
  readonly operation: O | undefined;

  /**
   * Creates the error.
   *
   * @param id The operation id.
   * @param init The request, and the final `operation` if known.
   */
  constructor(id: string, init: IncusErrorInit & { operation?: O; message?: string }) {
    super(init.message ?? `operation ${id} was cancelled`, init);
    this.name = "OperationCancelledError";
    this.id = id;
    this.operation = init.operation;
  }
}

/**
 * The server refused to cancel the operation: it is not cancellable
 * (`may_cancel: false`), or no longer running.
 *
 * @example
 * ```ts no-eval
 * import { connect, NotCancellableError } from "@incusops/operations";
 *
 * await using client = connect();
 * try {
 *   await client.operations.cancel("00000000-0000-4000-8000-000000000000");
 * } catch (error) {
 *   if (error instanceof NotCancellableError) console.log(error.message);
 * }
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
  constructor(id: string, message: string, init: IncusErrorInit) {
    super(message, init);
    this.name = "NotCancellableError";
    this.id = id;
  }
}

/**
 * An argument was refused before anything was sent: an operation id that is
 * not a UUID, a path outside the API, a bad timeout. It is a `TypeError`.
 *
 * @example
 * ```ts
 * import { connect, InvalidArgumentError } from "@incusops/operations";
 *
 * const client = connect({ socket: "/tmp/none.socket" });
 * try {
 *   await client.operations.get("../instances/c1");
 * } catch (error) {
 *   console.log(error instanceof InvalidArgumentError); // true
 * } finally {
 *   client.close();
 * }
 * ```
 */
export class InvalidArgumentError extends TypeError {
  /**
   * Creates the error.
   *
   * @param message What is wrong with the argument.
   */
  constructor(message: string) {
    super(message);
    this.name = "InvalidArgumentError";
  }
}

/**
 * The daemon answered, but not with an Incus/LXD envelope: not JSON,
 * truncated JSON, a JSON value of the wrong shape, or a body larger than
 * `maxResponseBytes`. Usually a proxy or something else on the socket.
 *
 * @example
 * ```ts no-eval
 * import { connect, ProtocolError } from "@incusops/operations";
 *
 * await using client = connect({ socket: "/run/not-incus.socket" });
 * try {
 *   await client.operations.list();
 * } catch (error) {
 *   if (error instanceof ProtocolError) console.error(error.message);
 * }
 * ```
 */
export class ProtocolError extends ConnectionError {
  /**
   * Creates the error.
   *
   * @param message What was wrong with the answer.
   * @param init The request, and `target`: the socket path or URL.
   */
  constructor(message: string, init: IncusErrorInit & { target: string }) {
    super(message, init);
    this.name = "ProtocolError";
  }
}

/**
 * The daemon accepted the request but did not answer it completely within
 * the request's time limit (`requestTimeout`); the connection was dropped.
 *
 * @example
 * ```ts no-eval
 * import { connect, ResponseTimeoutError } from "@incusops/operations";
 *
 * await using client = connect({ requestTimeout: 5_000 });
 * try {
 *   await client.operations.list();
 * } catch (error) {
 *   if (error instanceof ResponseTimeoutError) console.error("daemon too slow:", error.message);
 * }
 * ```
 */
export class ResponseTimeoutError extends ConnectionError {
  /**
   * Creates the error.
   *
   * @param message What timed out, and the fix.
   * @param init The request, and `target`: the socket path or URL.
   */
  constructor(message: string, init: IncusErrorInit & { target: string }) {
    super(message, init);
    this.name = "ResponseTimeoutError";
  }
}
