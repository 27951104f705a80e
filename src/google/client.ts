/**
 * `connectLongRunning()`: list, get, cancel, delete and wait for
 * google.longrunning operations over their REST/JSON mapping, with the
 * waiting core and the retry policy the Incus client shares.
 *
 * @module
 */

import { InvalidArgumentError, OperationCancelledError, ProtocolError } from "../core/errors.ts";
import { describeValue, duration } from "../core/validate.ts";
import { applyMutator, type Mutator } from "../core/mutator.ts";
import {
  DEFAULT_LONG_POLL_SLICE_MS,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
} from "../core/defaults.ts";
import { type Backoff, pollUntilDone, type StepResult } from "../core/poll.ts";
import {
  DEFAULT_RETRY,
  resolveRetry,
  retrying,
  type RetryOption,
  type RetryPolicy,
} from "../core/retry.ts";
import { isTransient, LongRunningFailedError, RpcError } from "./errors.ts";
import { type HeadersSource, RestClient, type RestRequest } from "./http.ts";
import { baseUrlOf, namePath } from "./name.ts";
import { type Any, Code, type Operation } from "./operation.ts";
import { DEFAULT_MAX_PAGES, OperationList, type OperationPage } from "./list.ts";

/** Options of {@linkcode connectLongRunning}. */
export interface LongRunningOptions {
  /**
   * The service's REST root including its version, e.g.
   * `https://example.googleapis.com/v1`; names are appended to it.
   */
  baseUrl: string;
  /** Headers sent with every request (e.g. `x-goog-user-project`). */
  headers?: HeadersInit;
  /**
   * Called before every attempt, its headers added to `headers`: the place
   * for a fresh OAuth token (`{ authorization: "Bearer ..." }`). Header
   * values never appear in errors.
   */
  getHeaders?: HeadersSource;
  /** A `Deno.HttpClient` to send through (proxy, CA, mTLS); you close it. */
  client?: Deno.HttpClient;
  /**
   * Retry policy of every call: fields replacing the defaults, or `false` to
   * turn retrying off. The defaults are api_core's: 100 ms, ×1.3, at most
   * 60 s apart, 600 s in all, on DEADLINE_EXCEEDED, UNAVAILABLE, HTTP
   * 503/504 and failed connections.
   *
   * @default {DEFAULT_RETRY}
   */
  retry?: RetryOption;
  /**
   * Per-method retry policies, applied over `retry`: e.g.
   * `{ cancel: false }` to treat `:cancel` as not idempotent. api_core's
   * defaults are the same for list, get, cancel and delete; `wait` covers
   * the requests a wait makes (`:wait` and `GET`).
   */
  methodRetry?: Partial<Record<MethodName, RetryOption>>;
  /**
   * Time limit of one attempt, ms (api_core's).
   *
   * @default {60_000}
   */
  requestTimeout?: number;
  /**
   * Pauses between polls of `wait` when the server has no `:wait` method
   * (api_core's polling defaults, jittered).
   *
   * @default {initial 1_000, multiplier 1.5, max 20_000, jitter true}
   */
  polling?: Partial<Backoff>;
  /**
   * Whether the server has `POST {name}:wait`: `true` always uses it,
   * `false` never (poll with GET), unset: try it and fall back to polling
   * when the server lacks it.
   *
   * @default {undefined}
   */
  waitMethod?: boolean;
  /**
   * Longest server-side wait asked for in one `:wait` call, ms (at least
   * 1 000).
   *
   * @default {30_000}
   */
  waitSliceMs?: number;
  /**
   * Largest response body accepted, bytes (64 MiB).
   *
   * @default {67_108_864}
   */
  maxResponseBytes?: number;
}

/**
 * The methods of {@linkcode LongRunningOperations}, as keys of
 * {@linkcode LongRunningOptions.methodRetry}.
 *
 * @example
 * ```ts
 * import type { MethodName } from "@incusops/operations/google";
 *
 * const notRetried: MethodName[] = ["cancel"];
 * console.log(notRetried);
 * ```
 */
export type MethodName = "list" | "get" | "cancel" | "delete" | "wait";

const METHODS: readonly MethodName[] = ["list", "get", "cancel", "delete", "wait"];

/** Options every call takes. */
export interface CallOptions {
  /** Aborts the call (its retries too); it rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Limit for the whole call, retries included, ms; then it rejects with
   * a `DOMException` named `TimeoutError`. Unset: the retry policy's
   * deadline bounds it.
   *
   * @default {undefined}
   */
  timeout?: number;
  /**
   * This call's retry policy: fields replacing the client's, or `false`.
   *
   * @default {undefined}
   */
  retry?: RetryOption;
}

/** Options of {@linkcode LongRunningOperations.list}. */
export interface ListOptions extends CallOptions {
  /** The standard list filter (AIP-160), e.g. `done = true`. */
  filter?: string;
  /**
   * Operations per page (the server may send fewer). Unset: the server's
   * default.
   *
   * @default {undefined}
   */
  pageSize?: number;
  /** Start at this page (a `nextPageToken` from an earlier listing). */
  pageToken?: string;
  /**
   * The most pages one iteration fetches; a listing that goes on past it
   * rejects with a `ProtocolError` (so does one whose page tokens repeat).
   *
   * @default {10_000}
   */
  maxPages?: number;
}

/** Options of {@linkcode LongRunningOperations.wait}. */
export interface WaitOptions extends CallOptions {
  /**
   * How long to wait, ms. When it passes the wait rejects with a
   * `DOMException` named `TimeoutError`; the operation keeps running.
   * Unset: no limit (pass a `signal` instead, or both).
   *
   * @default {undefined}
   */
  timeout?: number;
  /**
   * Called with every state of the operation the wait sees, the final one
   * included (progress is usually in `metadata`). If it throws, the wait
   * rejects with that error.
   */
  onProgress?: (operation: Operation) => void;
  /** Pauses between polls for this wait (see {@linkcode LongRunningOptions.polling}). */
  polling?: Partial<Backoff>;
}

/** What {@linkcode LongRunningOperations.wait} resolves with. */
export interface WaitResult {
  /** The operation's `response` (`undefined` when the server sent none). */
  response: Any | undefined;
  /** The final operation. */
  operation: Operation;
}

const DEFAULT_POLLING: Backoff = { initial: 1_000, multiplier: 1.5, max: 20_000, jitter: true };
/** Time allowed past a `:wait` slice for its answer. */
const WAIT_GRACE_MS = 10_000;
/** A `:wait` that took this long waited server-side: poll again at once. */
const LONG_POLL_MS = 500;
const BASE_POLICY: RetryPolicy = { ...DEFAULT_RETRY, predicate: isTransient };

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
  readonly #retry: RetryOption | undefined;
  readonly #methodRetry: Partial<Record<MethodName, RetryOption>>;
  readonly #polling: Backoff;
  readonly #waitMethod: boolean | undefined;
  readonly #waitSliceMs: number;
  /** Whether the server answered `:wait` (learnt on first use). */
  #waitSupported: boolean | undefined;

  /**
   * Made by {@linkcode connectLongRunning}.
   *
   * @param options See {@linkcode LongRunningOptions}.
   */
  constructor(options: LongRunningOptions) {
    if (options === null || typeof options !== "object") {
      throw new InvalidArgumentError("connectLongRunning() needs an options object with baseUrl");
    }
    const baseUrl = baseUrlOf(options.baseUrl);
    if (options.getHeaders !== undefined && typeof options.getHeaders !== "function") {
      throw new InvalidArgumentError("invalid getHeaders: expected a function");
    }
    resolveRetry(BASE_POLICY, options.retry);
    this.#retry = options.retry;
    const methodRetry = options.methodRetry ?? {};
    if (methodRetry === null || typeof methodRetry !== "object") {
      throw new InvalidArgumentError(
        `invalid methodRetry ${describeValue(methodRetry)}: expected { list?, get?, cancel?, ` +
          `delete?, wait? }`,
      );
    }
    for (const [method, option] of Object.entries(methodRetry)) {
      if (!METHODS.includes(method as MethodName)) {
        throw new InvalidArgumentError(
          `invalid methodRetry key ${describeValue(method)}: expected one of ${METHODS.join(", ")}`,
        );
      }
      resolveRetry(BASE_POLICY, options.retry, option);
    }
    this.#methodRetry = { ...methodRetry };
    this.#polling = pollingOf(DEFAULT_POLLING, options.polling);
    this.#waitMethod = options.waitMethod;
    this.#waitSliceMs = Math.max(
      1_000,
      duration("waitSliceMs", options.waitSliceMs) ?? DEFAULT_LONG_POLL_SLICE_MS,
    );
    this.#rest = new RestClient({
      baseUrl,
      headers: options.headers,
      getHeaders: options.getHeaders,
      client: options.client,
      requestTimeout: duration("requestTimeout", options.requestTimeout) ??
        DEFAULT_REQUEST_TIMEOUT_MS,
      maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    });
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
    const path = base.endsWith("/operations") || base === "/operations"
      ? base
      : `${base}/operations`;
    const { filter, pageSize, pageToken, maxPages = DEFAULT_MAX_PAGES } = options;
    if (!Number.isInteger(maxPages) || maxPages < 1) {
      throw new InvalidArgumentError(
        `invalid maxPages ${describeValue(maxPages)}: expected an integer >= 1`,
      );
    }
    if (filter !== undefined && typeof filter !== "string") {
      throw new InvalidArgumentError(`invalid filter ${describeValue(filter)}: expected a string`);
    }
    if (
      pageSize !== undefined &&
      (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 2 ** 31 - 1)
    ) {
      throw new InvalidArgumentError(
        `invalid pageSize ${describeValue(pageSize)}: expected an integer >= 1`,
      );
    }
    if (pageToken !== undefined && typeof pageToken !== "string") {
      throw new InvalidArgumentError(
        `invalid pageToken ${describeValue(pageToken)}: expected a string`,
      );
    }
    const policy = this.#policy("list", options.retry);
    duration("timeout", options.timeout);
    const fetchPage = async (token: string | undefined): Promise<OperationPage<R>> => {
      const query = new URLSearchParams();
      if (filter !== undefined && filter !== "") query.set("filter", filter);
      if (pageSize !== undefined) query.set("pageSize", String(pageSize));
      if (token !== undefined && token !== "") query.set("pageToken", token);
      const answer = await this.#call("GET", path, { query }, options, policy);
      const { operations = [], nextPageToken } = (answer ?? {}) as {
        operations?: unknown;
        nextPageToken?: unknown;
      };
      if (
        !Array.isArray(operations) || !operations.every(isOperation) ||
        (nextPageToken !== undefined && typeof nextPageToken !== "string")
      ) {
        throw this.#shapeError("GET", path, "a ListOperationsResponse");
      }
      const items: R[] = [];
      for (const op of operations) items.push(await applyMutator(op, mutator));
      return { operations: items, nextPageToken: nextPageToken || undefined };
    };
    return new OperationList(
      fetchPage,
      pageToken,
      maxPages,
      (why) => this.#shapeError("GET", path, why),
    );
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
  ): Promise<R> {
    const path = namePath(name);
    const policy = this.#policy("get", options.retry);
    return await applyMutator(await this.#get(path, options, policy), mutator);
  }

  async #get(
    path: string,
    options: CallOptions,
    policy: RetryPolicy | false,
  ): Promise<Operation> {
    const answer = await this.#call("GET", path, {}, options, policy);
    if (!isOperation(answer)) throw this.#shapeError("GET", path, "an Operation");
    return answer;
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
  ): Promise<R> {
    const path = `${namePath(name)}:cancel`;
    await this.#call("POST", path, { body: {} }, options, this.#policy("cancel", options.retry));
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
  ): Promise<R> {
    const path = namePath(name);
    await this.#call("DELETE", path, {}, options, this.#policy("delete", options.retry));
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
  ): Promise<R> {
    const path = namePath(name);
    const policy = this.#policy("wait", options.retry);
    const polling = pollingOf(this.#polling, options.polling);
    if (options.onProgress !== undefined && typeof options.onProgress !== "function") {
      throw new InvalidArgumentError("invalid onProgress: expected a function");
    }
    const operation = await pollUntilDone(async ({ remaining, signal }) => {
      const started = performance.now();
      const step = { signal };
      let op: Operation;
      let longPoll = false;
      if (this.#waitMethod !== false && this.#waitSupported !== false) {
        const slice = Math.min(remaining ?? Infinity, this.#waitSliceMs);
        const seconds = Math.max(1, Math.ceil(slice / 1000));
        try {
          const answer = await this.#call(
            "POST",
            `${path}:wait`,
            {
              body: { timeout: `${seconds}s` },
              timeout: seconds * 1000 + WAIT_GRACE_MS,
            },
            step,
            policy,
          );
          if (!isOperation(answer)) throw this.#shapeError("POST", `${path}:wait`, "an Operation");
          op = answer;
          this.#waitSupported = true;
          longPoll = true;
        } catch (error) {
          if (this.#waitMethod === true || !lacksMethod(error)) throw error;
          // A 404 may mean "no such method" or "no such operation": GET tells.
          op = await this.#get(path, step, policy);
          this.#waitSupported = false;
        }
      } else {
        op = await this.#get(path, step, policy);
      }
      options.onProgress?.(op);
      if (op.done === true) return { done: true, value: op };
      const result: StepResult<Operation> = longPoll && performance.now() - started >= LONG_POLL_MS
        ? { done: false, pause: false }
        : { done: false };
      return result;
    }, {
      timeout: options.timeout,
      signal: options.signal,
      backoff: polling,
      timeoutMessage: `operation ${name} still running after ${options.timeout} ms`,
    });
    return await applyMutator(settle(name, operation, path), mutator);
  }

  /** The policy in force for a call, checked before anything is sent. */
  #policy(method: MethodName, option: RetryOption | undefined): RetryPolicy | false {
    return resolveRetry(BASE_POLICY, this.#retry, this.#methodRetry[method], option);
  }

  #call(
    method: string,
    path: string,
    request: RestRequest,
    options: CallOptions,
    policy: RetryPolicy | false,
  ): Promise<unknown> {
    return retrying(
      ({ signal }) => this.#rest.send(method, path, { ...request, signal }),
      policy,
      {
        signal: options.signal,
        timeout: options.timeout,
        timeoutMessage: `${method} ${path}: no answer within ${options.timeout} ms`,
      },
    );
  }

  #shapeError(method: string, path: string, expected: string): ProtocolError {
    const url = new URL(this.#rest.baseUrl);
    return new ProtocolError(
      `${method} ${url.pathname}${path}: the answer from ${url.origin} is not ${expected}`,
      { status: 200, method, path: url.pathname + path, target: url.origin },
    );
  }
}

/** Resolves a done operation, or throws the error it ended with. */
function settle(name: string, operation: Operation, path: string): WaitResult {
  const error = operation.error;
  if (error === undefined || error === null) {
    return { response: operation.response, operation };
  }
  const init = { method: "GET", path, operation };
  if (error.code === Code.CANCELLED) {
    throw new OperationCancelledError<Operation>(name, {
      ...init,
      status: 499,
      message: `operation ${name} was cancelled${error.message ? `: ${error.message}` : ""}`,
    });
  }
  throw new LongRunningFailedError(name, error, init);
}

/** Whether an error says the server has no `:wait` method. */
function lacksMethod(error: unknown): boolean {
  return error instanceof RpcError &&
    (error.code === Code.UNIMPLEMENTED || [404, 405, 501].includes(error.status));
}

function isOperation(value: unknown): value is Operation {
  return value !== null && typeof value === "object" && !Array.isArray(value) &&
    typeof (value as { name?: unknown }).name === "string";
}

/** Merges and checks polling pauses. */
function pollingOf(base: Backoff, override: Partial<Backoff> | undefined): Backoff {
  if (override === undefined) return base;
  if (override === null || typeof override !== "object") {
    throw new InvalidArgumentError(
      `invalid polling ${describeValue(override)}: expected an object`,
    );
  }
  const merged = { ...base, ...override };
  duration("polling.initial", merged.initial);
  duration("polling.max", merged.max);
  if (
    typeof merged.multiplier !== "number" || !(merged.multiplier >= 1) ||
    !Number.isFinite(merged.multiplier)
  ) {
    throw new InvalidArgumentError(
      `invalid polling.multiplier ${describeValue(merged.multiplier)}: expected a number >= 1`,
    );
  }
  return merged;
}
