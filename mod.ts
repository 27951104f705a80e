/**
 * A client for the operations API of Incus and LXD: list, get, wait for,
 * cancel and delete operations, over the daemon's Unix socket or HTTPS.
 * Waiting and cancelling honour `AbortSignal`s and deadlines, and every call
 * takes a mutator applied to its result.
 *
 * @example Quick start
 * ```ts no-eval
 * import { connect } from "@incusops/operations";
 *
 * await using client = connect(); // INCUS_SOCKET, /var/lib/incus/unix.socket, ...
 * const op = await client.query<{ id: string }>("/1.0/instances/c1/exec", {
 *   method: "POST",
 *   body: { command: ["sleep", "2"], "wait-for-websocket": false },
 * });
 * const final = await client.operations.wait(op.id, { timeout: 10_000 });
 * console.log(final.status, final.metadata?.return);
 * ```
 *
 * @module
 */

export * from "./src/client.ts";
export * from "./src/errors.ts";
export { isFinal, StatusCode } from "./src/operation.ts";
export type {
  Operation,
  OperationClass,
  OperationsByStatus,
  OperationStatus,
  OperationStatusKey,
  StatusCodeValue,
} from "./src/operation.ts";
export type { Mutator } from "./src/mutator.ts";
export { Operations } from "./src/operations.ts";
export type {
  CallOptions,
  ListOptions,
  OperationsSettings,
  WaitManyOptions,
  WaitOptions,
  WaitTuning,
} from "./src/operations.ts";
export type { RetryInfo, RetryOption, RetryPolicy } from "./src/retry.ts";
export type { Backoff } from "./src/poll.ts";
export { socketCandidates } from "./src/socket.ts";
export { ExecProcess } from "./src/exec.ts";
export type { ExecOptions, ExecOutput, ExecStatus, ExecStreamOptions } from "./src/exec.ts";
export type { WebSocketOptions } from "./src/websocket.ts";
export { EventStream } from "./src/events.ts";
export type { EventsOptions, EventType, IncusEvent, OperationEvent } from "./src/events.ts";
export { parseProgress } from "./src/progress.ts";
export { loadConfig, resolveRemote } from "./src/remote.ts";
export type { CliConfig, RemoteConfig, ResolvedRemote } from "./src/remote.ts";
export type { Progress } from "./src/progress.ts";
export type { HubSettings } from "./src/operation_events.ts";
