/**
 * The operation object served by Incus and LXD, its status codes, and helpers
 * to read them.
 *
 * @module
 */

/**
 * Every status code an Incus or LXD operation (or instance, or event) can
 * carry, by name: codes 100–199 are "in progress" states, 200 is success
 * and 400–401 are failures. This is the one source of the statuses:
 * {@linkcode StatusCodeTable}, {@linkcode OperationStatus},
 * {@linkcode StatusCodeValue}, {@linkcode STATUS_KEYS} and
 * {@linkcode OPERATION_STATUSES} derive from it. The status text the server
 * sends is the name, except for `OperationCreated`, whose text is "Created".
 *
 * @example Test an operation's code
 * ```ts
 * import { StatusCode } from "@incusops/operations";
 *
 * const code: number = 200;
 * console.log(code === StatusCode.Success); // true
 * ```
 */
export const StatusCode = {
  /** The operation was created (status text "Created"). */
  OperationCreated: 100,
  /** Started. */
  Started: 101,
  /** Stopped. */
  Stopped: 102,
  /** Running. */
  Running: 103,
  /** Cancelling. */
  Cancelling: 104,
  /** Pending. */
  Pending: 105,
  /** Starting. */
  Starting: 106,
  /** Stopping. */
  Stopping: 107,
  /** Aborting. */
  Aborting: 108,
  /** Freezing. */
  Freezing: 109,
  /** Frozen. */
  Frozen: 110,
  /** Thawed. */
  Thawed: 111,
  /** Error. */
  Error: 112,
  /** Ready. */
  Ready: 113,
  /** Finished successfully (final). */
  Success: 200,
  /** Finished with an error (final). */
  Failure: 400,
  /** Cancelled (final). */
  Cancelled: 401,
} as const;
Object.freeze(StatusCode);

/**
 * The type of {@linkcode StatusCode}: every status code by name.
 *
 * @example
 * ```ts
 * import type { StatusCodeTable } from "@incusops/operations";
 *
 * const running: StatusCodeTable["Running"] = 103;
 * console.log(running);
 * ```
 */
export type StatusCodeTable = typeof StatusCode;

/**
 * One of the numeric values of {@linkcode StatusCode}.
 *
 * @example
 * ```ts
 * import { StatusCode, type StatusCodeValue } from "@incusops/operations";
 *
 * const code: StatusCodeValue = StatusCode.Running;
 * console.log(code); // 103
 * ```
 */
export type StatusCodeValue = StatusCodeTable[keyof StatusCodeTable];

/**
 * The human-readable status of an operation, as the server spells it in
 * `status` ("Running", "Success", ...): the names of
 * {@linkcode StatusCodeTable}, with "Created" for `OperationCreated`.
 *
 * @example
 * ```ts
 * import type { OperationStatus } from "@incusops/operations";
 *
 * const status: OperationStatus = "Running";
 * console.log(status);
 * ```
 */
export type OperationStatus = Exclude<keyof StatusCodeTable, "OperationCreated"> | "Created";

/** The status text of a {@linkcode StatusCodeTable} name. */
function statusText(name: keyof StatusCodeTable): OperationStatus {
  return name === "OperationCreated" ? "Created" : name;
}

/**
 * Every status text, in code order ("Created", "Started", ..., "Cancelled").
 *
 * @example
 * ```ts
 * import { OPERATION_STATUSES } from "@incusops/operations";
 *
 * console.log(OPERATION_STATUSES.length); // 17
 * ```
 */
export const OPERATION_STATUSES: readonly OperationStatus[] = Object.freeze(
  (Object.keys(StatusCode) as (keyof StatusCodeTable)[]).map(statusText),
);

const CODE_OF_STATUS: ReadonlyMap<string, StatusCodeValue> = new Map(
  OPERATION_STATUSES.map((status, index) => [status, Object.values(StatusCode)[index]]),
);

/**
 * The code of a status text.
 *
 * @param status A status as the server spells it ("Running").
 * @returns Its code (103).
 *
 * @example
 * ```ts
 * import { statusCodeOf } from "@incusops/operations";
 *
 * console.log(statusCodeOf("Cancelled")); // 401
 * ```
 */
export function statusCodeOf(status: OperationStatus): StatusCodeValue {
  const code = CODE_OF_STATUS.get(status);
  if (code === undefined) throw new TypeError(`unknown operation status ${JSON.stringify(status)}`);
  return code;
}

/**
 * The class of an operation: a background `task`, a `websocket` operation
 * that waits for clients to connect, or a `token` (join/trust tokens).
 *
 * @example
 * ```ts
 * import type { OperationClass } from "@incusops/operations";
 *
 * const cls: OperationClass = "websocket";
 * console.log(cls);
 * ```
 */
export type OperationClass = "task" | "websocket" | "token";

/**
 * An operation, exactly as Incus and LXD serve it from
 * `/1.0/operations/<id>`. `M` types its `metadata` (see
 * {@linkcode ExecOperation}).
 *
 * @typeParam M The type of `metadata`.
 *
 * @example Read an operation
 * ```ts
 * import { connect, type Operation } from "@incusops/operations";
 * import { FakeDaemon } from "@incusops/operations/testing";
 *
 * await using daemon = await FakeDaemon.start();
 * daemon.createOperation({ description: "Creating instance" });
 * await using client = connect({ socket: daemon.path });
 * const ops: Operation[] = await client.operations.list();
 * for (const op of ops) console.log(op.id, op.status, op.description);
 * ```
 */
export interface Operation<M = Record<string, unknown>> {
  /** The UUID of the operation. */
  id: string;
  /** Its class: `task`, `websocket` or `token`. */
  class: OperationClass;
  /** What it does, e.g. "Executing command". */
  description: string;
  /** When it was created (RFC 3339, nanosecond precision). */
  created_at: string;
  /** When it last changed (RFC 3339, nanosecond precision). */
  updated_at: string;
  /** Its status as text. */
  status: OperationStatus;
  /** Its status as a number, see {@linkcode StatusCode}. */
  status_code: StatusCodeValue;
  /** The objects it touches, by kind: `{ instances: ["/1.0/instances/c1"] }`. */
  resources: Record<string, string[]> | null;
  /** Kind-specific data (exec return codes, websocket fds, progress...). */
  metadata: M | null;
  /** Whether `DELETE` may cancel it. */
  may_cancel: boolean;
  /** The error text when it failed, else "". */
  err: string;
  /** The cluster member it runs on ("none" outside a cluster). */
  location: string;
  /** The project it belongs to (present on newer servers). */
  project?: string;
}

/**
 * The `metadata` of an exec operation (`POST /1.0/instances/<name>/exec`):
 * while it runs, the websocket secrets (`fds`, `wait-for-websocket` mode);
 * once finished, the exit code (`return`) and, in `record-output` mode, the
 * log files (`output`).
 *
 * @example
 * ```ts
 * import type { ExecMetadata } from "@incusops/operations";
 *
 * const done: ExecMetadata = { return: 0, output: { "1": "/1.0/instances/c1/logs/exec_1.stdout" } };
 * console.log(done.return);
 * ```
 */
export interface ExecMetadata {
  /** The command's exit code, once it finished. */
  return?: number;
  /** Websocket secrets by fd (`"0"`, `"1"`, `"2"`, `"control"`), while it runs. */
  fds?: Record<string, string>;
  /** Log file paths by fd (`"1"`, `"2"`), `record-output` mode. */
  output?: Record<string, string>;
  /** Anything else the daemon adds. */
  [key: string]: unknown;
}

/**
 * An exec operation: an {@linkcode Operation} whose `metadata.return` is
 * the exit code.
 *
 * @example
 * ```ts
 * import { connect, type ExecOperation } from "@incusops/operations";
 * import { FakeDaemon } from "@incusops/operations/testing";
 *
 * await using daemon = await FakeDaemon.start();
 * await using client = connect({ socket: daemon.path });
 * const final: ExecOperation = await client.query("/1.0/instances/c1/exec", {
 *   method: "POST",
 *   body: { command: ["true"], "wait-for-websocket": false },
 *   wait: true,
 * });
 * const code: number | undefined = final.metadata?.return;
 * console.log(code); // 0
 * ```
 */
export type ExecOperation = Operation<ExecMetadata>;

/**
 * The operation type an API path starts: {@linkcode ExecOperation} for
 * `/1.0/instances/<name>/exec`, else {@linkcode Operation}. Used by
 * `client.query()` and `client.startOperation()` to type their answer. It
 * reads the path's type: write the path inline (a template literal such as
 * `` `/1.0/instances/${name}/exec` `` keeps its shape) or `as const`; a path
 * held in a plain `string` gives {@linkcode Operation}.
 *
 * @typeParam P The API path.
 *
 * @example
 * ```ts
 * import type { ExecOperation, OperationFor } from "@incusops/operations";
 *
 * const op: OperationFor<"/1.0/instances/c1/exec"> = {} as ExecOperation;
 * console.log(op);
 * ```
 */
export type OperationFor<P extends string> = P extends `${string}/exec` | `${string}/exec?${string}`
  ? ExecOperation
  : Operation;

/**
 * The lower-case status keys under which `GET /1.0/operations` groups
 * operations ("running", "success", ...).
 *
 * @example
 * ```ts
 * import type { OperationStatusKey } from "@incusops/operations";
 *
 * const key: OperationStatusKey = "running";
 * console.log(key);
 * ```
 */
export type OperationStatusKey = Lowercase<OperationStatus>;

/**
 * Operations grouped by lower-case status, the way the server groups them.
 * Every known status key is present; statuses without operations hold `[]`.
 *
 * @example
 * ```ts
 * import { connect } from "@incusops/operations";
 * import { FakeDaemon } from "@incusops/operations/testing";
 *
 * await using daemon = await FakeDaemon.start();
 * daemon.createOperation();
 * await using client = connect({ socket: daemon.path });
 * const { running, failure } = await client.operations.listByStatus();
 * console.log(running.length, failure.length);
 * ```
 */
export type OperationsByStatus = Record<OperationStatusKey, Operation[]>;

const FINAL_CODES: ReadonlySet<number> = new Set([
  StatusCode.Success,
  StatusCode.Failure,
  StatusCode.Cancelled,
]);

/**
 * Tells whether an operation (or a status code) is final: Success, Failure
 * or Cancelled. A final operation will not change again.
 *
 * @param operationOrCode An operation, or its `status_code`.
 * @returns `true` when nothing more will happen to the operation.
 *
 * @example
 * ```ts
 * import { isFinal, StatusCode } from "@incusops/operations";
 *
 * console.log(isFinal(StatusCode.Running)); // false
 * console.log(isFinal(StatusCode.Cancelled)); // true
 * ```
 */
export function isFinal(operationOrCode: Pick<Operation, "status_code"> | number): boolean {
  const code = typeof operationOrCode === "number" ? operationOrCode : operationOrCode.status_code;
  return FINAL_CODES.has(code);
}

/**
 * The status keys that every {@linkcode OperationsByStatus} holds: each of
 * {@linkcode OPERATION_STATUSES} in lower case.
 *
 * @example
 * ```ts
 * import { STATUS_KEYS } from "@incusops/operations";
 *
 * console.log(STATUS_KEYS.includes("running")); // true
 * ```
 */
export const STATUS_KEYS: readonly OperationStatusKey[] = Object.freeze(
  OPERATION_STATUSES.map((status) => status.toLowerCase() as OperationStatusKey),
);
