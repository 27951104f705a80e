/**
 * The errors every client of this package throws, under one base class,
 * {@linkcode IncusOpsError}:
 *
 * - {@linkcode InvalidArgumentError}: an argument was refused, nothing was sent.
 * - {@linkcode ConnectionError} (and {@linkcode ProtocolError},
 *   {@linkcode ResponseTimeoutError}): no usable answer.
 * - the server refused the request: `IncusError` (Incus/LXD) or `RpcError`
 *   (google.longrunning), each in its client's layer.
 * - the operation ended badly: {@linkcode OperationFailedError},
 *   {@linkcode OperationCancelledError}; or a wait ran out of time:
 *   {@linkcode OperationTimeoutError}.
 *
 * @module
 */

/** What an error is made from: the request it belongs to. */
export interface ErrorInit {
  /**
   * The HTTP status of the answer that reported the error, 0 when nothing
   * answered (or the news came over a websocket).
   *
   * @default {0}
   */
  status?: number;
  /**
   * The HTTP method of the request actually sent (`""` when none was).
   *
   * @default {""}
   */
  method?: string;
  /**
   * The path of the request actually sent (`""` when none was).
   *
   * @default {""}
   */
  path?: string;
  /** The error that caused this one, if any. */
  cause?: unknown;
}

/**
 * The base class of every error this package throws. `status` is the HTTP
 * status of the answer that reported it (0 when nothing answered), and
 * `method`/`path` name the request actually sent (empty when none was).
 *
 * @example Catch everything this package throws
 * ```ts
 * import { connect, IncusOpsError } from "@incusops/operations";
 *
 * await using client = connect({ socket: "/nonexistent/unix.socket" });
 * try {
 *   await client.operations.list();
 * } catch (error) {
 *   if (error instanceof IncusOpsError) console.log(error.name, error.status); // ConnectionError 0
 * }
 * ```
 */
export class IncusOpsError extends Error {
  /** The HTTP status of the answer that reported the error, 0 when nothing answered. */
  readonly status: number;
  /** The HTTP method of the request actually sent, `""` when none was. */
  readonly method: string;
  /** The path of the request actually sent, `""` when none was. */
  readonly path: string;

  /**
   * Creates the error.
   *
   * @param message What happened.
   * @param init The status and request it belongs to.
   */
  constructor(message: string, init: ErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "IncusOpsError";
    this.status = init.status ?? 0;
    this.method = init.method ?? "";
    this.path = init.path ?? "";
  }
}

/**
 * An argument was refused before anything was sent: an operation id that is
 * not a UUID, a path outside the API, a bad timeout or option. Nothing left
 * the process, so retrying with the same input cannot help.
 *
 * @example
 * ```ts
 * import { connect, InvalidArgumentError } from "@incusops/operations";
 *
 * await using client = connect({ socket: "/tmp/none.socket" });
 * try {
 *   await client.operations.get("../instances/c1");
 * } catch (error) {
 *   console.log(error instanceof InvalidArgumentError); // true
 * }
 * ```
 */
export class InvalidArgumentError extends IncusOpsError {
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
 * No usable answer: the server could not be reached (the socket is missing
 * or refuses, permissions are lacking, the TLS handshake failed, the
 * connection broke). `endpoint` is the socket path or URL, and the message
 * names the fix. {@linkcode ProtocolError} and {@linkcode ResponseTimeoutError}
 * are the kinds where something answered, but not usably.
 *
 * @example
 * ```ts
 * import { connect, ConnectionError } from "@incusops/operations";
 *
 * await using client = connect({ socket: "/nonexistent/unix.socket" });
 * try {
 *   await client.operations.list();
 * } catch (error) {
 *   if (error instanceof ConnectionError) console.log(error.endpoint); // "/nonexistent/unix.socket"
 * }
 * ```
 */
export class ConnectionError extends IncusOpsError {
  /** The socket path or URL that was tried. */
  readonly endpoint: string;

  /**
   * Creates the error.
   *
   * @param message What went wrong and how to fix it.
   * @param init The request, and `endpoint`: the socket path or URL.
   */
  constructor(message: string, init: ErrorInit & { endpoint: string }) {
    super(message, init);
    this.name = "ConnectionError";
    this.endpoint = init.endpoint;
  }
}

/**
 * The server answered, but not with what the protocol promises: not JSON,
 * truncated JSON, a JSON value of the wrong shape, a redirect, or a body
 * larger than `maxResponseBytes`. Usually a proxy or something else on the
 * socket. `status` is the HTTP status of that answer.
 *
 * @example
 * ```ts
 * import { ConnectionError, ProtocolError } from "@incusops/operations";
 *
 * const error = new ProtocolError("not an Incus answer", { endpoint: "/run/x.socket", status: 200 });
 * console.log(error instanceof ConnectionError); // true
 * ```
 */
export class ProtocolError extends ConnectionError {
  /** `"ProtocolError"`. */
  override name = "ProtocolError";
}

/**
 * The server accepted the request but did not answer it completely within
 * the request's time limit (`requestTimeout`); the connection was dropped.
 *
 * @example
 * ```ts
 * import { ConnectionError, ResponseTimeoutError } from "@incusops/operations";
 *
 * const error = new ResponseTimeoutError("no answer in 60 s", { endpoint: "/run/x.socket" });
 * console.log(error instanceof ConnectionError); // true
 * ```
 */
export class ResponseTimeoutError extends ConnectionError {
  /** `"ResponseTimeoutError"`. */
  override name = "ResponseTimeoutError";
}

/** What an error about one operation is made from. */
export interface OperationErrorInit<O> extends ErrorInit {
  /** The operation as last seen, if known. */
  operation?: O;
  /**
   * The operation's own status code (Incus/LXD: 400 Failure, 401 Cancelled),
   * not an HTTP status.
   */
  operationStatusCode?: number;
}

/**
 * The operation finished with status Failure. `err` is the server's error
 * text for the operation, `operation` the final operation when the server
 * still served it, and `operationStatusCode` the operation's code (400 on
 * Incus/LXD). The type parameter is the operation's type (a google.longrunning
 * `Operation` for `LongRunningFailedError`).
 *
 * @example
 * ```ts
 * import { OperationFailedError } from "@incusops/operations";
 *
 * const error = new OperationFailedError("op-1", "Command not found", { operationStatusCode: 400 });
 * console.log(error.message); // "operation op-1 failed: Command not found"
 * ```
 */
export class OperationFailedError<O = unknown> extends IncusOpsError {
  /** The operation id (or name). */
  readonly id: string;
  /** The server's error text for the operation. */
  readonly err: string;
  /** The final operation, if the server still had it. */
  readonly operation: O | undefined;
  /** The operation's status code (400 Failure on Incus/LXD), if known. */
  readonly operationStatusCode: number | undefined;

  /**
   * Creates the error.
   *
   * @param id The operation id.
   * @param err The operation's error text.
   * @param init The request, and the final `operation` if known.
   */
  constructor(id: string, err: string, init: OperationErrorInit<O> = {}) {
    super(`operation ${id} failed: ${err}`, init);
    this.name = "OperationFailedError";
    this.id = id;
    this.err = err;
    this.operation = init.operation;
    this.operationStatusCode = init.operationStatusCode;
  }
}

/**
 * The operation ended as Cancelled (by this client or anyone else). Also
 * thrown by the google.longrunning client for rpc code 1 (CANCELLED).
 *
 * @example
 * ```ts
 * import { OperationCancelledError } from "@incusops/operations";
 *
 * const error = new OperationCancelledError("op-1", { operationStatusCode: 401 });
 * console.log(error.message, error.status); // "operation op-1 was cancelled" 0
 * ```
 */
export class OperationCancelledError<O = unknown> extends IncusOpsError {
  /** The operation id (or name). */
  readonly id: string;
  /** The final operation, if known (a google.longrunning `Operation` there). */
  readonly operation: O | undefined;
  /** The operation's status code (401 Cancelled on Incus/LXD), if known. */
  readonly operationStatusCode: number | undefined;

  /**
   * Creates the error.
   *
   * @param id The operation id.
   * @param init The request, the final `operation` if known, and an optional `message`.
   */
  constructor(id: string, init: OperationErrorInit<O> & { message?: string } = {}) {
    super(init.message ?? `operation ${id} was cancelled`, init);
    this.name = "OperationCancelledError";
    this.id = id;
    this.operation = init.operation;
    this.operationStatusCode = init.operationStatusCode;
  }
}

/**
 * A wait's `timeout` passed before the operation finished. Its `name` is
 * `"TimeoutError"`, the platform's convention (as `AbortSignal.timeout()`);
 * it carries the operation id and the last state seen (like the Go client's
 * `GetOperationWait`, which returns the current state when its timeout
 * passes). The operation itself keeps running unless the wait was asked to
 * cancel it.
 *
 * @example
 * ```ts
 * import { OperationTimeoutError } from "@incusops/operations";
 *
 * const error = new OperationTimeoutError("op-1", 500, {});
 * console.log(error.name, error.message); // "TimeoutError" "operation op-1 did not finish within 500 ms"
 * ```
 */
export class OperationTimeoutError<O = unknown> extends IncusOpsError {
  /** The operation id (or name). */
  readonly id: string;
  /** The last state of the operation seen before the time ran out, if any. */
  readonly operation: O | undefined;
  /** The timeout that passed, in milliseconds. */
  readonly timeout: number;

  /**
   * Creates the error.
   *
   * @param id The operation id.
   * @param timeout The timeout that passed, in milliseconds.
   * @param init The last request, the last `operation` state seen, and
   *   `why` it may not have finished (added to the message).
   */
  constructor(id: string, timeout: number, init: OperationErrorInit<O> & { why?: string } = {}) {
    const why = init.why === undefined ? "" : `: ${init.why}`;
    super(`operation ${id} did not finish within ${timeout} ms${why}`, init);
    this.name = "TimeoutError";
    this.id = id;
    this.timeout = timeout;
    this.operation = init.operation;
  }
}

/**
 * Every message along an error's `cause` chain, joined with `" <- "`.
 *
 * @param error Any thrown value.
 * @returns The messages, outermost first.
 *
 * @example
 * ```ts
 * import { causeText } from "./errors.ts";
 *
 * const error = new Error("outer", { cause: new Error("inner") });
 * console.log(causeText(error)); // "outer <- inner"
 * ```
 */
export function causeText(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    parts.push(e.message);
  }
  return parts.join(" <- ");
}
