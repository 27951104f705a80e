/**
 * The google.longrunning types in their JSON form (proto3 JSON mapping):
 * `Operation`, `google.rpc.Status`, `google.protobuf.Any`, and the
 * canonical rpc codes.
 *
 * @module
 */

/**
 * A `google.protobuf.Any` in JSON: the message's fields plus `@type`, its
 * type URL (e.g. `type.googleapis.com/google.protobuf.Empty`).
 *
 * @example
 * ```ts
 * import type { Any } from "@incusops/operations/google";
 *
 * const empty: Any = { "@type": "type.googleapis.com/google.protobuf.Empty" };
 * console.log(empty["@type"]);
 * ```
 */
export interface Any {
  /** The type URL of the packed message. */
  "@type"?: string;
  /** The message's own fields. */
  [field: string]: unknown;
}

/**
 * A `google.rpc.Status`: how a call or an operation failed.
 *
 * @example
 * ```ts
 * import { Code, type Status } from "@incusops/operations/google";
 *
 * const status: Status = { code: Code.NOT_FOUND, message: "no such operation" };
 * console.log(status.code === 5); // true
 * ```
 */
export interface Status {
  /** The canonical rpc code ({@linkcode Code}). */
  code: number;
  /** A developer-facing message, in English. */
  message?: string;
  /** Details, each an {@linkcode Any} (e.g. `google.rpc.ErrorInfo`). */
  details?: Any[];
}

/**
 * A google.longrunning `Operation`. Proto3 JSON leaves out default values:
 * a running operation may have no `done` field at all.
 *
 * @example
 * ```ts
 * import type { Operation } from "@incusops/operations/google";
 *
 * const op: Operation = { name: "operations/build-1", done: false };
 * console.log(op.done ? "done" : "running");
 * ```
 */
export interface Operation {
  /** The server-assigned name, e.g. `operations/123` or `projects/p/locations/l/operations/123`. */
  name: string;
  /** Service-specific metadata (progress, create time, ...), if any. */
  metadata?: Any;
  /** `true` once finished; then exactly one of `error` and `response` is set. */
  done?: boolean;
  /** The error of a failed or cancelled operation (`code` 1 is CANCELLED). */
  error?: Status;
  /** The result of a successful operation (`google.protobuf.Empty` for none). */
  response?: Any;
}

/**
 * The canonical rpc codes (`google.rpc.Code`).
 *
 * @example
 * ```ts
 * import { Code, codeName } from "@incusops/operations/google";
 *
 * console.log(Code.CANCELLED, codeName(Code.UNAVAILABLE)); // 1 "UNAVAILABLE"
 * ```
 */
export const Code: {
  /** Not an error. */
  readonly OK: 0;
  /** Cancelled, typically by the caller. */
  readonly CANCELLED: 1;
  /** Unknown error. */
  readonly UNKNOWN: 2;
  /** The client gave an invalid argument. */
  readonly INVALID_ARGUMENT: 3;
  /** The deadline passed before the call finished. */
  readonly DEADLINE_EXCEEDED: 4;
  /** The entity was not found. */
  readonly NOT_FOUND: 5;
  /** The entity exists already. */
  readonly ALREADY_EXISTS: 6;
  /** The caller may not do this. */
  readonly PERMISSION_DENIED: 7;
  /** A quota or resource ran out. */
  readonly RESOURCE_EXHAUSTED: 8;
  /** The system is not in the state the call needs. */
  readonly FAILED_PRECONDITION: 9;
  /** Aborted, typically by a concurrency conflict. */
  readonly ABORTED: 10;
  /** Past the valid range. */
  readonly OUT_OF_RANGE: 11;
  /** Not implemented or not supported. */
  readonly UNIMPLEMENTED: 12;
  /** Internal error. */
  readonly INTERNAL: 13;
  /** The service is unavailable for now; retrying may help. */
  readonly UNAVAILABLE: 14;
  /** Unrecoverable data loss. */
  readonly DATA_LOSS: 15;
  /** No valid credentials. */
  readonly UNAUTHENTICATED: 16;
} = Object.freeze({
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
});

/** A canonical rpc code name, e.g. `"NOT_FOUND"`. */
export type CodeName = keyof typeof Code;

const NAMES = Object.keys(Code) as CodeName[];

/**
 * The name of a canonical rpc code (`"UNKNOWN"` for a number outside 0..16).
 *
 * @param code The numeric code.
 * @returns Its name.
 *
 * @example
 * ```ts
 * import { codeName } from "@incusops/operations/google";
 *
 * console.log(codeName(5)); // "NOT_FOUND"
 * ```
 */
export function codeName(code: number): CodeName {
  return NAMES[code] ?? "UNKNOWN";
}

/** The HTTP status Google's REST mapping gives each rpc code. */
const HTTP_OF_CODE = [
  200,
  499,
  500,
  400,
  504,
  404,
  409,
  403,
  429,
  400,
  409,
  400,
  501,
  500,
  503,
  500,
  401,
];

/**
 * The HTTP status Google's REST mapping gives an rpc code (500 for an
 * unknown one), e.g. to answer like a service in a fake.
 *
 * @param code A canonical rpc code ({@linkcode Code}).
 * @returns The HTTP status.
 *
 * @example
 * ```ts
 * import { Code, httpStatusOf } from "@incusops/operations/google";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(httpStatusOf(Code.NOT_FOUND), 404);
 * assertEquals(httpStatusOf(Code.UNAVAILABLE), 503);
 * ```
 */
export function httpStatusOf(code: number): number {
  return HTTP_OF_CODE[code] ?? 500;
}

/**
 * The rpc code an HTTP status means when the answer carries no
 * `google.rpc.Status` (a proxy's error page, an empty body); any other
 * status is INTERNAL from 500 up, else UNKNOWN.
 */
const CODE_OF_HTTP_STATUS: Readonly<Record<number, number>> = {
  400: Code.INVALID_ARGUMENT,
  401: Code.UNAUTHENTICATED,
  403: Code.PERMISSION_DENIED,
  404: Code.NOT_FOUND,
  409: Code.ABORTED,
  412: Code.FAILED_PRECONDITION,
  429: Code.RESOURCE_EXHAUSTED,
  499: Code.CANCELLED,
  501: Code.UNIMPLEMENTED,
  503: Code.UNAVAILABLE,
  504: Code.DEADLINE_EXCEEDED,
};

/** The rpc code of an HTTP status (see {@linkcode CODE_OF_HTTP_STATUS}). */
export function codeOfHttpStatus(status: number): number {
  return CODE_OF_HTTP_STATUS[status] ?? (status >= 500 ? Code.INTERNAL : Code.UNKNOWN);
}

/** The rpc code of a `status` name such as `"NOT_FOUND"`, if it is one. */
export function codeOfName(name: unknown): number | undefined {
  return typeof name === "string" && Object.hasOwn(Code, name) ? Code[name as CodeName] : undefined;
}

/** Whether `value` has the shape of an `Operation` (an object with a string `name`). */
export function isOperation(value: unknown): value is Operation {
  return value !== null && typeof value === "object" && !Array.isArray(value) &&
    typeof (value as { name?: unknown }).name === "string";
}
