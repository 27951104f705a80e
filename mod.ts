/**
 * A client for the operations API of Incus and LXD: list, get, wait for,
 * watch, cancel and delete operations, run commands over operation
 * websockets and follow the event stream, over the daemon's Unix socket or
 * HTTPS. Waiting and cancelling honour `AbortSignal`s and deadlines, and
 * every call takes a mutator applied to its result. Every error is an
 * `IncusOpsError`.
 *
 * @example Quick start (on the fake daemon; `connect()` alone finds a real one)
 * ```ts
 * import { connect } from "@incusops/operations";
 * import { FakeDaemon } from "@incusops/operations/testing";
 * import { assertEquals } from "@std/assert";
 *
 * await using daemon = await FakeDaemon.start();
 * const { id } = daemon.createOperation();
 *
 * await using client = connect({ socket: daemon.path });
 * assertEquals(await client.operations.list({}, (ops) => ops.map((op) => op.status)), ["Running"]);
 * const final = client.operations.wait(id, { timeout: 10_000 });
 * daemon.finish(id, { status: "Success" });
 * assertEquals((await final).status, "Success");
 * ```
 *
 * @module
 */

export { Client } from "./src/incus/client.ts";
export { connect, connectRemote } from "./src/incus/connect.ts";
export type {
  ConnectOptions,
  QueryOptions,
  StartOperationOptions,
  WriteMethod,
} from "./src/incus/client_options.ts";
export {
  ConnectionError,
  IncusOpsError,
  InvalidArgumentError,
  OperationCancelledError,
  OperationFailedError,
  OperationTimeoutError,
  ProtocolError,
  ResponseTimeoutError,
} from "./src/core/errors.ts";
export type { ErrorInit, OperationErrorInit } from "./src/core/errors.ts";
export {
  AuthenticationError,
  IncusError,
  MemberUnreachableError,
  NotCancellableError,
  OperationNotFoundError,
  SyncAnswerError,
} from "./src/incus/errors.ts";
export type {
  AuthenticationErrorInit,
  MemberUnreachableInit,
  SyncAnswerInit,
  UnreachableMember,
} from "./src/incus/errors.ts";
export type { GetToken, GetTokenOptions } from "./src/incus/transport/auth.ts";
export type { ClusterMember, MemberListOptions, OperationsByMember } from "./src/incus/cluster.ts";
export { acrossFleet, DEFAULT_FLEET_CONCURRENCY, listFleet } from "./src/incus/fleet.ts";
export type {
  FleetList,
  FleetOptions,
  FleetTarget,
  ListFleetOptions,
  RemoteOutcome,
} from "./src/incus/fleet.ts";
export {
  isFinal,
  OPERATION_STATUSES,
  STATUS_KEYS,
  StatusCode,
  statusCodeOf,
} from "./src/incus/operation.ts";
export type {
  ExecMetadata,
  ExecOperation,
  Operation,
  OperationClass,
  OperationFor,
  OperationsByStatus,
  OperationStatus,
  OperationStatusKey,
  StatusCodeTable,
  StatusCodeValue,
} from "./src/incus/operation.ts";
export type { Mutator } from "./src/core/mutator.ts";
export type { ApiTypes, Incus60, Lxd50 } from "./src/incus/typed_api.ts";
export { Operations } from "./src/incus/operations/mod.ts";
export type {
  CallOptions,
  ListOptions,
  ListResult,
  OperationsSettings,
  WaitManyOptions,
  WaitOptions,
  WaitTuning,
  WatchOptions,
} from "./src/incus/operations/options.ts";
export type { OperationRef } from "./src/incus/operation_id.ts";
export type { RetryInfo, RetryOption, RetryPolicy } from "./src/core/retry.ts";
export type { Backoff } from "./src/core/poll.ts";
export type { Clock } from "./src/core/deadlines.ts";
export { SOCKET_VARIABLES, socketCandidates } from "./src/incus/transport/socket.ts";
export type { ConnectionTarget } from "./src/incus/transport/target.ts";
export { ExecProcess } from "./src/incus/exec.ts";
export type {
  ExecOptions,
  ExecOutput,
  ExecRecordedOptions,
  ExecStatus,
  ExecStreamOptions,
} from "./src/incus/exec_options.ts";
export type { WebSocketOptions } from "./src/incus/transport/websocket.ts";
export { EventStream } from "./src/incus/events.ts";
export type {
  EventBase,
  EventFor,
  EventsOptions,
  EventType,
  IncusEvent,
  LifecycleEvent,
  LifecycleMetadata,
  LifecycleRequestor,
  LoggingEvent,
  LoggingMetadata,
  NetworkAclEvent,
  OperationEvent,
  QueueLimits,
} from "./src/incus/event_types.ts";
export { OperationHandle } from "./src/incus/operation_handle.ts";
export type { OperationHandleOptions } from "./src/incus/operation_handle.ts";
export { parseResources } from "./src/incus/resources.ts";
export type { OperationResource } from "./src/incus/resources.ts";
export { parseProgress } from "./src/incus/progress.ts";
export type { Progress } from "./src/incus/progress.ts";
export type { HubSettings } from "./src/incus/operations/event_hub.ts";
