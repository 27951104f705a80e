/**
 * `connectLongRunning()`: list, get, cancel, delete and wait for
 * google.longrunning operations over their REST/JSON mapping, with the
 * waiting core and the retry policy the Incus client shares.
 *
 * @module
 */

import { InvalidArgumentError } from "../core/errors.ts";
import { duration } from "../core/validate.ts";
import { applyMutator, type Mutator } from "../core/mutator.ts";
import type { Backoff } from "../core/poll.ts";
import type { RetryOption, RetryPolicy } from "../core/retry.ts";
import { RestClient } from "./http.ts";
import { namePath } from "./name.ts";
import { isOperation, type Operation } from "./operation.ts";
import { OperationList, type OperationPage } from "./list.ts";
import {
  type CallOptions,
  DEFAULT_POLLING,
  type ListOptions,
  listOptionsOf,
  type LongRunningOptions,
  type MethodName,
  pollingOf,
  retryPolicies,
  type WaitOptions,
  type WaitResult,
} from "./options.ts";
import { OperationWaiter } from "./wait.ts";
// deno-lint-ignore no-unused-vars -- for {@linkcode} in the docs
import type { LongRunningFailedError } from "./errors.ts";
// deno-lint-ignore no-unused-vars -- for {@linkcode} in the docs
import type { OperationCancelledError } from "../core/errors.ts";

/**
 * Connects to a service's google.longrunning `Operations` over REST/JSON.
 * Nothing is sent until a method is called; bad options throw
 * `InvalidArgumentError` here.
 *
 * @param options `baseUrl` (required), `headers` / `getHeaders`, `client`,
 * `retry`, `requestTimeout`, `polling`, `waitMethod`.
 * @returns The operations API.
 *
 * @example Wait for an operation a service returned
 * ```ts
 * import { connectLongRunning } from "@incusops/operations/google";
 * import { FakeLongRunning } from "@incusops/operations/testing";
 * import { assertEquals } from "@std/assert";
 *
 * // A real service: baseUrl "https://example.googleapis.com/v1".
 * await using service = await FakeLongRunning.start();
 * const build = service.createOperation({ durationMs: 20, response: { "@type": "Build", id: 42 } });
 * const getToken = () => Promise.resolve("<token>");
 *
 * const operations = connectLongRunning({
 *   baseUrl: service.baseUrl,
 *   getHeaders: async () => ({ authorization: `Bearer ${await getToken()}` }),
 * });
 * const { response } = await operations.wait(build.name, { timeout: 10_000 });
 * assertEquals(response, { "@type": "Build", id: 42 });
 * ```
 */
export function connectLongRunning(options: LongRunningOptions): LongRunningOperations {
  return new LongRunningOperations(options);
}

/**
 * The google.longrunning `Operations` API of one service. Every method
 * takes an options object (with `signal`, `timeout` and `retry`) and, last,
 * an optional mutator applied to its result.
 *
 * @example
 * ```ts
 * import { connectLongRunning } from "@incusops/operations/google";
 * import { FakeLongRunning } from "@incusops/operations/testing";
 * import { assertEquals } from "@std/assert";
 *
 * await using service = await FakeLongRunning.start();
 * const running = service.createOperation({ metadata: { "@type": "Progress", percent: 40 } });
 * service.finish(service.createOperation().name);
 *
 * const operations = connectLongRunning({ baseUrl: service.baseUrl });
 * const names: string[] = [];
 * for await (const op of operations.list("operations", { filter: "done = false" })) {
 *   names.push(op.name);
 * }
 * assertEquals(names, [running.name]);
 * ```
 */
export class LongRunningOperations {
  readonly #rest: RestClient;
  readonly #policy: (method: MethodName, option: RetryOption | undefined) => RetryPolicy | false;
  readonly #polling: Backoff;
  readonly #waiter: OperationWaiter;

  /**
   * Made by {@linkcode connectLongRunning}.
   *
   * @param options See {@linkcode LongRunningOptions}.
   */
  constructor(options: LongRunningOptions) {
    if (options === null || typeof options !== "object") {
      throw new InvalidArgumentError("connectLongRunning() needs an options object with baseUrl");
    }
    this.#rest = new RestClient(options);
    this.#policy = retryPolicies(options.retry, options.methodRetry);
    this.#polling = pollingOf(DEFAULT_POLLING, options.polling);
    this.#waiter = new OperationWaiter(this.#rest, options);
  }

  /** The base URL names are appended to. */
  get baseUrl(): string {
    return this.#rest.baseUrl;
  }

  /**
   * Lists the operations of a collection, page by page, as an async
   * iterable of operations; `.pages()` gives the pages themselves. Sends
   * `GET {name}` when `name` ends with `operations` (the default mapping,
   * `GET /v1/{name=operations}`), else `GET {name}/operations` (a service's
   * parent binding such as `projects/p/locations/l`). Nothing is sent before
   * the iteration starts; a bad name or option throws here.
   *
   * @param name The collection (`operations`, the default) or its parent.
   * @param options `filter`, `pageSize`, `pageToken`, `maxPages`, `signal`, `timeout` (per page), `retry`.
   * @param mutator Applied to each operation.
   * @returns The operations (or the mutator's results).
   *
   * @example
   * ```ts
   * import { connectLongRunning } from "@incusops/operations/google";
   * import { FakeLongRunning } from "@incusops/operations/testing";
   * import { assertEquals } from "@std/assert";
   *
   * await using service = await FakeLongRunning.start();
   * for (let i = 0; i < 3; i++) service.createOperation({ name: `operations/op-${i}` });
   *
   * const operations = connectLongRunning({ baseUrl: service.baseUrl });
   * const running = await Array.fromAsync(
   *   operations.list("operations", { filter: "done = false", pageSize: 100 }, (op) => op.name),
   * );
   * assertEquals(running, ["operations/op-0", "operations/op-1", "operations/op-2"]);
   * const sizes: number[] = [];
   * for await (const page of operations.list("operations", { pageSize: 2 }).pages()) {
   *   sizes.push(page.operations.length);
   * }
   * assertEquals(sizes, [2, 1]);
   * ```
   */
  list<R = Operation>(
    name: string = "operations",
    options: ListOptions = {},
    mutator?: Mutator<Operation, R>,
  ): OperationList<R> {
    const base = namePath(name, "collection name");
    const path = base.endsWith("/operations") ? base : `${base}/operations`;
    const { filter, pageSize, pageToken, maxPages } = listOptionsOf(options);
    const policy = this.#policy("list", options.retry);
    duration("timeout", options.timeout);
    const refuse = (why: string) => this.#rest.answerError("GET", path, 200, `not ${why}`);
    const fetchPage = async (token: string | undefined): Promise<OperationPage<R>> => {
      const query = new URLSearchParams();
      if (filter) query.set("filter", filter);
      if (pageSize !== undefined) query.set("pageSize", String(pageSize));
      if (token) query.set("pageToken", token);
      const answer = await this.#rest.call("GET", path, { ...options, query, policy });
      const { operations = [], nextPageToken } = (answer ?? {}) as {
        operations?: unknown;
        nextPageToken?: unknown;
      };
      if (
        !Array.isArray(operations) || !operations.every(isOperation) ||
        (nextPageToken !== undefined && typeof nextPageToken !== "string")
      ) {
        throw refuse("a ListOperationsResponse");
      }
      const items: R[] = [];
      for (const op of operations) items.push(await applyMutator(op, mutator));
      return { operations: items, nextPageToken: nextPageToken || undefined };
    };
    return new OperationList(fetchPage, pageToken, maxPages, refuse);
  }

  /**
   * Gets the latest state of an operation: `GET {name}`.
   *
   * @param name The operation's name, e.g. `operations/123`.
   * @param options `signal`, `timeout`, `retry`.
   * @param mutator Applied to the operation.
   * @returns The operation, or the mutator's result.
   * @throws {InvalidArgumentError} A bad name; nothing was sent.
   * @throws {RpcError} The server refused (code 5 NOT_FOUND, ...).
   *
   * @example
   * ```ts
   * import { connectLongRunning } from "@incusops/operations/google";
   * import { FakeLongRunning } from "@incusops/operations/testing";
   * import { assertEquals } from "@std/assert";
   *
   * await using service = await FakeLongRunning.start();
   * service.createOperation({ name: "operations/build-42", metadata: { "@type": "Step", n: 1 } });
   *
   * const operations = connectLongRunning({ baseUrl: service.baseUrl });
   * const op = await operations.get("operations/build-42");
   * assertEquals([op.done ?? false, op.metadata], [false, { "@type": "Step", n: 1 }]);
   * ```
   */
  async get<R = Operation>(
    name: string,
    options: CallOptions = {},
    mutator?: Mutator<Operation, R>,
  ): Promise<NoInfer<R>> {
    const policy = this.#policy("get", options.retry);
    return await applyMutator(
      await this.#rest.operation("GET", namePath(name), { ...options, policy }),
      mutator,
    );
  }

  /**
   * Asks the server to cancel an operation: `POST {name}:cancel` with body
   * `{}`. Best effort, as upstream documents it: the server may not cancel,
   * or the operation may finish anyway; a cancelled operation is not
   * deleted but ends `done` with `error.code` 1 (CANCELLED), which `wait`
   * reports as `OperationCancelledError`.
   *
   * @param name The operation's name.
   * @param options `signal`, `timeout`, `retry`.
   * @param mutator Applied to the result (`undefined`).
   * @returns `undefined`, or the mutator's result.
   * @throws {RpcError} The server refused (e.g. 12 UNIMPLEMENTED, 5 NOT_FOUND).
   *
   * @example
   * ```ts
   * import { connectLongRunning, OperationCancelledError } from "@incusops/operations/google";
   * import { FakeLongRunning } from "@incusops/operations/testing";
   * import { assertRejects } from "@std/assert";
   *
   * await using service = await FakeLongRunning.start();
   * service.createOperation({ name: "operations/build-42" });
   *
   * const operations = connectLongRunning({ baseUrl: service.baseUrl });
   * await operations.cancel("operations/build-42");
   * await assertRejects(() => operations.wait("operations/build-42"), OperationCancelledError);
   * ```
   */
  async cancel<R = void>(
    name: string,
    options: CallOptions = {},
    mutator?: Mutator<void, R>,
  ): Promise<NoInfer<R>> {
    const policy = this.#policy("cancel", options.retry);
    await this.#rest.call("POST", `${namePath(name)}:cancel`, { ...options, body: {}, policy });
    return await applyMutator(undefined, mutator);
  }

  /**
   * Tells the server the client is no longer interested in the operation's
   * result: `DELETE {name}`. It does **not** cancel the operation (use
   * {@linkcode LongRunningOperations.cancel}).
   *
   * @param name The operation's name.
   * @param options `signal`, `timeout`, `retry`.
   * @param mutator Applied to the result (`undefined`).
   * @returns `undefined`, or the mutator's result.
   * @throws {RpcError} The server refused (e.g. 12 UNIMPLEMENTED, 5 NOT_FOUND).
   *
   * @example
   * ```ts
   * import { connectLongRunning } from "@incusops/operations/google";
   * import { FakeLongRunning } from "@incusops/operations/testing";
   * import { assertEquals } from "@std/assert";
   *
   * await using service = await FakeLongRunning.start();
   * service.createOperation({ name: "operations/build-42" });
   *
   * const operations = connectLongRunning({ baseUrl: service.baseUrl });
   * await operations.delete("operations/build-42");
   * // No longer served, but not cancelled: it runs on.
   * assertEquals(service.state("operations/build-42").deleted, true);
   * service.finish("operations/build-42");
   * ```
   */
  async delete<R = void>(
    name: string,
    options: CallOptions = {},
    mutator?: Mutator<void, R>,
  ): Promise<NoInfer<R>> {
    const policy = this.#policy("delete", options.retry);
    await this.#rest.call("DELETE", namePath(name), { ...options, policy });
    return await applyMutator(undefined, mutator);
  }

  /**
   * Waits until the operation is done. Resolves with its `response` and the
   * final operation; rejects with {@linkcode OperationCancelledError} when
   * it ended with code 1 (CANCELLED), {@linkcode LongRunningFailedError}
   * (carrying the rpc `code` and message) for any other error, a
   * `DOMException` named `TimeoutError` when `timeout` passes (the operation
   * keeps running), and the signal's reason when `signal` aborts.
   *
   * Uses `POST {name}:wait` (body `{"timeout": "<n>s"}`) while the server
   * has it: WaitOperation has no HTTP binding in google.longrunning, but
   * services may add one. A server without it (HTTP 404 for the method
   * while `GET {name}` works, 405, 501 or UNIMPLEMENTED) is polled with
   * `GET {name}` and backoff instead. Each request is retried under the
   * retry policy.
   *
   * @param name The operation's name.
   * @param options `timeout`, `signal`, `onProgress`, `polling`, `retry`.
   * @param mutator Applied to the result.
   * @returns `{ response, operation }`, or the mutator's result.
   *
   * @example
   * ```ts
   * import { connectLongRunning } from "@incusops/operations/google";
   * import { FakeLongRunning } from "@incusops/operations/testing";
   * import { assertEquals } from "@std/assert";
   *
   * await using service = await FakeLongRunning.start();
   * const build = service.createOperation({ metadata: { "@type": "Step", n: 1 } });
   * setTimeout(() => service.finish(build.name, { response: { "@type": "Build", id: 7 } }), 20);
   *
   * const operations = connectLongRunning({ baseUrl: service.baseUrl });
   * const seen: boolean[] = [];
   * const { response } = await operations.wait(build.name, {
   *   timeout: 10_000,
   *   signal: AbortSignal.timeout(20_000),
   *   onProgress: (op) => seen.push(op.done ?? false),
   * });
   * assertEquals(response, { "@type": "Build", id: 7 });
   * assertEquals(seen.at(-1), true);
   * ```
   */
  async wait<R = WaitResult>(
    name: string,
    options: WaitOptions = {},
    mutator?: Mutator<WaitResult, R>,
  ): Promise<NoInfer<R>> {
    const path = namePath(name);
    const policy = this.#policy("wait", options.retry);
    const polling = pollingOf(this.#polling, options.polling);
    if (options.onProgress !== undefined && typeof options.onProgress !== "function") {
      throw new InvalidArgumentError("invalid onProgress: expected a function");
    }
    return await applyMutator(
      await this.#waiter.wait(name, path, options, policy, polling),
      mutator,
    );
  }
}
