/**
 * A client for Google's long-running operations meta-API
 * (`google.longrunning.Operations`, what api_core's `OperationsClient`
 * drives) over its REST/JSON mapping: list, get, cancel, delete and wait
 * for operations, with the same AbortSignal-based waiting, retry policy,
 * mutators and `OperationCancelledError` as the Incus client.
 *
 * @example Quick start (on the fake service; a real one: its `baseUrl`, e.g. `https://example.googleapis.com/v1`)
 * ```ts
 * import { connectLongRunning, OperationCancelledError } from "@incusops/operations/google";
 * import { FakeLongRunning } from "@incusops/operations/testing";
 *
 * await using service = await FakeLongRunning.start();
 * const build = service.createOperation({ durationMs: 20, response: { "@type": "Build", id: 42 } });
 *
 * const operations = connectLongRunning({
 *   baseUrl: service.baseUrl,
 *   headers: { authorization: "Bearer <token>" },
 * });
 * for await (const op of operations.list("operations", { filter: "done = false" })) {
 *   console.log(op.name);
 * }
 * try {
 *   const { response } = await operations.wait(build.name, { timeout: 600_000 });
 *   console.log(response); // { "@type": "Build", id: 42 }
 * } catch (error) {
 *   if (error instanceof OperationCancelledError) console.log("cancelled");
 *   else throw error;
 * }
 * ```
 *
 * @module
 */

export * from "./client.ts";
export type {
  CallOptions,
  HeadersSource,
  ListOptions,
  LongRunningOptions,
  MethodName,
  WaitOptions,
  WaitResult,
} from "./options.ts";
export * from "./errors.ts";
export { OperationList } from "./list.ts";
export type { OperationPage } from "./list.ts";
export { Code, codeName, httpStatusOf } from "./operation.ts";
export type { Any, CodeName, Operation, Status } from "./operation.ts";
export {
  ConnectionError,
  IncusOpsError,
  InvalidArgumentError,
  OperationCancelledError,
  OperationFailedError,
  OperationTimeoutError,
  ProtocolError,
  ResponseTimeoutError,
} from "../core/errors.ts";
export type { Mutator } from "../core/mutator.ts";
export type { Backoff } from "../core/poll.ts";
export { DEFAULT_RETRY } from "../core/retry.ts";
export type { RetryInfo, RetryOption, RetryPolicy } from "../core/retry.ts";
