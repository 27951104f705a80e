/**
 * Errors of the google.longrunning client. A call the server refused is an
 * {@linkcode RpcError}; an operation that finished with an error is a
 * {@linkcode LongRunningFailedError}, or `OperationCancelledError` for code
 * 1 (CANCELLED), the class the Incus client uses too.
 *
 * @module
 */

import {
  ConnectionError,
  type ErrorInit,
  IncusOpsError,
  OperationFailedError,
  ProtocolError,
} from "../core/errors.ts";
import {
  Code,
  type CodeName,
  codeName,
  httpStatusOf,
  type Operation,
  type Status,
} from "./operation.ts";

/** What an {@linkcode RpcError} is made from. */
export interface RpcErrorInit extends ErrorInit {
  /** The canonical rpc code. */
  code: number;
  /** The `google.rpc.Status` details, if any. */
  details?: Status["details"];
}

/**
 * The server refused a call: its answer was an HTTP error, read as a
 * `google.rpc.Status` (`{"error": {"code", "message", "status", "details"}}`).
 * `code` is the canonical rpc code (e.g. 5 NOT_FOUND), `status` the HTTP
 * status, `message` the server's text.
 *
 * @example
 * ```ts
 * import { Code, connectLongRunning, RpcError } from "@incusops/operations/google";
 * import { FakeLongRunning } from "@incusops/operations/testing";
 * import { assertEquals, assertRejects } from "@std/assert";
 *
 * await using service = await FakeLongRunning.start();
 * const operations = connectLongRunning({ baseUrl: service.baseUrl });
 * const error = await assertRejects(() => operations.get("operations/missing"), RpcError);
 * assertEquals([error.code, error.codeName, error.status], [Code.NOT_FOUND, "NOT_FOUND", 404]);
 * ```
 */
export class RpcError extends IncusOpsError {
  /** The canonical rpc code. */
  readonly code: number;
  /** The `google.rpc.Status` details (`[]` when none). */
  readonly details: NonNullable<Status["details"]>;

  /**
   * Creates the error.
   *
   * @param message The server's message.
   * @param init The request, the HTTP status and the rpc code.
   */
  constructor(message: string, init: RpcErrorInit) {
    super(message, init);
    this.name = "RpcError";
    this.code = init.code;
    this.details = init.details ?? [];
  }

  /** The name of {@linkcode RpcError.code}, e.g. `"UNAVAILABLE"`. */
  get codeName(): CodeName {
    return codeName(this.code);
  }
}

/**
 * The operation finished with an error other than CANCELLED. `code`,
 * `err` (the message) and `details` are its `google.rpc.Status`;
 * `operation` is the final operation.
 *
 * @example
 * ```ts
 * import { Code, connectLongRunning, LongRunningFailedError } from "@incusops/operations/google";
 * import { FakeLongRunning } from "@incusops/operations/testing";
 * import { assertEquals, assertRejects } from "@std/assert";
 *
 * await using service = await FakeLongRunning.start();
 * const build = service.createOperation({
 *   durationMs: 10,
 *   error: { code: Code.FAILED_PRECONDITION, message: "no quota" },
 * });
 * const operations = connectLongRunning({ baseUrl: service.baseUrl });
 * const error = await assertRejects(() => operations.wait(build.name), LongRunningFailedError);
 * assertEquals([error.code, error.err], [Code.FAILED_PRECONDITION, "no quota"]);
 * ```
 */
export class LongRunningFailedError extends OperationFailedError<Operation> {
  /** The canonical rpc code of the operation's error. */
  readonly code: number;
  /** The details of the operation's error (`[]` when none). */
  readonly details: NonNullable<Status["details"]>;

  /**
   * Creates the error.
   *
   * @param name The operation's name.
   * @param status The operation's `error`.
   * @param init The request, and the final `operation`.
   */
  constructor(
    name: string,
    status: Status,
    init: Omit<ErrorInit, "status"> & { operation?: Operation },
  ) {
    const message = status.message || codeName(status.code);
    super(name, message, { ...init, status: httpStatusOf(status.code) });
    this.message = `operation ${name} failed: ${codeName(status.code)}: ${message}`;
    this.name = "LongRunningFailedError";
    this.code = status.code;
    this.details = status.details ?? [];
  }
}

/**
 * The default retry predicate of the google.longrunning client, as
 * api_core's for idempotent methods: rpc codes DEADLINE_EXCEEDED and
 * UNAVAILABLE, HTTP 503 and 504, a per-attempt time limit that ran out, and
 * a connection that failed (gRPC calls that UNAVAILABLE). Not: a garbled
 * answer, or Deno refusing the network permission.
 *
 * @param error What an attempt threw.
 * @returns Whether another attempt may succeed.
 *
 * @example
 * ```ts
 * import { isTransient, RpcError } from "@incusops/operations/google";
 *
 * const busy = new RpcError("busy", { code: 14, status: 503, method: "GET", path: "/v1/x" });
 * console.log(isTransient(busy)); // true
 * ```
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof RpcError) {
    return error.code === Code.DEADLINE_EXCEEDED || error.code === Code.UNAVAILABLE ||
      error.status === 503 || error.status === 504;
  }
  if (!(error instanceof ConnectionError) || error instanceof ProtocolError) return false;
  const cause = error.cause;
  return !(cause instanceof Deno.errors.NotCapable ||
    cause instanceof Deno.errors.PermissionDenied);
}
