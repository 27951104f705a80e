/**
 * The requests of one google.longrunning client: each sent through its
 * {@linkcode RestClient} under the retry policy in force for its method,
 * and the checks that an answer is an `Operation`.
 *
 * @module
 */

import { InvalidArgumentError, ProtocolError } from "../core/errors.ts";
import { describeValue } from "../core/validate.ts";
import {
  DEFAULT_RETRY,
  resolveRetry,
  retrying,
  type RetryOption,
  type RetryPolicy,
} from "../core/retry.ts";
import { isTransient } from "./errors.ts";
import type { RestClient, RestRequest } from "./http.ts";
import type { Operation } from "./operation.ts";
import type { CallOptions, MethodName } from "./options.ts";

const METHODS: readonly MethodName[] = ["list", "get", "cancel", "delete", "wait"];

/** api_core's retry policy: the defaults, on transient errors. */
const BASE_POLICY: RetryPolicy = { ...DEFAULT_RETRY, predicate: isTransient };

/**
 * Checks the client's `retry` and `methodRetry` options before anything is
 * sent, and resolves with a copy of `methodRetry`.
 */
export function methodRetryOf(
  retry: RetryOption | undefined,
  given: Partial<Record<MethodName, RetryOption>> | undefined,
): Partial<Record<MethodName, RetryOption>> {
  resolveRetry(BASE_POLICY, retry);
  const methodRetry = given ?? {};
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
    resolveRetry(BASE_POLICY, retry, option);
  }
  return { ...methodRetry };
}

/** Whether `value` has the shape of an `Operation` (an object with a string `name`). */
export function isOperation(value: unknown): value is Operation {
  return value !== null && typeof value === "object" && !Array.isArray(value) &&
    typeof (value as { name?: unknown }).name === "string";
}

/** Sends a client's requests, retried under its policies. */
export class LongRunningRequests {
  readonly #rest: RestClient;
  readonly #retry: RetryOption | undefined;
  readonly #methodRetry: Partial<Record<MethodName, RetryOption>>;

  /**
   * @param rest Where requests go.
   * @param retry The client's retry policy (checked by {@linkcode methodRetryOf}).
   * @param methodRetry The client's per-method policies (from {@linkcode methodRetryOf}).
   */
  constructor(
    rest: RestClient,
    retry: RetryOption | undefined,
    methodRetry: Partial<Record<MethodName, RetryOption>>,
  ) {
    this.#rest = rest;
    this.#retry = retry;
    this.#methodRetry = methodRetry;
  }

  /** The base URL names are appended to. */
  get baseUrl(): string {
    return this.#rest.baseUrl;
  }

  /** The policy in force for a call, checked before anything is sent. */
  policy(method: MethodName, option: RetryOption | undefined): RetryPolicy | false {
    return resolveRetry(BASE_POLICY, this.#retry, this.#methodRetry[method], option);
  }

  /** Sends `method path`, retried under `policy`, and resolves with the decoded answer. */
  call(
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

  /** `GET path`: the operation, or a `ProtocolError` when the answer is not one. */
  async get(
    path: string,
    options: CallOptions,
    policy: RetryPolicy | false,
  ): Promise<Operation> {
    const answer = await this.call("GET", path, {}, options, policy);
    if (!isOperation(answer)) throw this.shapeError("GET", path, "an Operation");
    return answer;
  }

  /**
   * `GET path` for one page of a listing (`filter`, `pageSize` and
   * `pageToken` sent when set): its operations and next page token, or a
   * `ProtocolError` when the answer is not a ListOperationsResponse.
   */
  async listPage(
    path: string,
    { filter, pageSize, pageToken }: { filter?: string; pageSize?: number; pageToken?: string },
    options: CallOptions,
    policy: RetryPolicy | false,
  ): Promise<{ operations: Operation[]; nextPageToken: string | undefined }> {
    const query = new URLSearchParams();
    if (filter !== undefined && filter !== "") query.set("filter", filter);
    if (pageSize !== undefined) query.set("pageSize", String(pageSize));
    if (pageToken !== undefined && pageToken !== "") query.set("pageToken", pageToken);
    const answer = await this.call("GET", path, { query }, options, policy);
    const { operations = [], nextPageToken } = (answer ?? {}) as {
      operations?: unknown;
      nextPageToken?: unknown;
    };
    if (
      !Array.isArray(operations) || !operations.every(isOperation) ||
      (nextPageToken !== undefined && typeof nextPageToken !== "string")
    ) {
      throw this.shapeError("GET", path, "a ListOperationsResponse");
    }
    return { operations, nextPageToken };
  }

  /** The error for an answer to `method path` that is not `expected`. */
  shapeError(method: string, path: string, expected: string): ProtocolError {
    const url = new URL(this.#rest.baseUrl);
    return new ProtocolError(
      `${method} ${url.pathname}${path}: the answer from ${url.origin} is not ${expected}`,
      { status: 200, method, path: url.pathname + path, endpoint: url.origin },
    );
  }
}
