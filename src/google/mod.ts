/**
 * A client for Google's long-running operations meta-API
 * (`google.longrunning.Operations`, what api_core's `OperationsClient`
 * drives) over its REST/JSON mapping: list, get, cancel, delete and wait
 * for operations, with the same AbortSignal-based waiting, retry policy,
 * mutators and `OperationCancelledError` as the Incus client.
 *
 * @example Quick start
 * ```ts no-eval
 * import { connectLongRunning, OperationCancelledError } from "@incusops/operations/google";
 *
 * const operations = connectLongRunning({
 *   baseUrl: "https://example.googleapis.com/v1",
 *   headers: { authorization: `Bearer ${Deno.env.get("TOKEN")}` },
 * });
 * for await (const op of operations.list("operations", { filter: "done = false" })) {
 *   console.log(op.name);
 * }
 * try {
 *   const { response } = await operations.wait("operations/build-42", { timeout: 600_000 });
 *   console.log(response);
 * } catch (error) {
 *   if (error instanceof OperationCancelledError) console.log("cancelled");
 *   else throw error;
 * }
 * ```
 *
 * @module
 */

export * from "./client.ts";
export * from "./errors.ts";
export type { HeadersSource } from "./http.ts";
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
