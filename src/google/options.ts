/**
 * The options of {@linkcode connectLongRunning} and of each call of
 * {@linkcode LongRunningOperations}, what `wait` resolves with, and their
 * checks: polling pauses, listing fields, retry policies.
 *
 * @module
 */

import { invalidArgument } from "../core/validate.ts";
import type { Backoff } from "../core/poll.ts";
import {
  checkBackoff,
  DEFAULT_RETRY,
  resolveRetry,
  type RetryOption,
  type RetryPolicy,
} from "../core/retry.ts";
import { isTransient } from "./errors.ts";
import type { Any, Operation } from "./operation.ts";
import { DEFAULT_MAX_PAGES } from "./list.ts";
// deno-lint-ignore no-unused-vars -- for {@linkcode} in the docs
import type { connectLongRunning, LongRunningOperations } from "./client.ts";

/** Headers for a request, or a function giving them (e.g. a fresh OAuth token). */
export type HeadersSource = (
  context: { signal: AbortSignal },
) => HeadersInit | Promise<HeadersInit>;

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

/** The pauses between polls of `wait` by default (api_core's polling defaults, jittered). */
export const DEFAULT_POLLING: Backoff = {
  initial: 1_000,
  multiplier: 1.5,
  max: 20_000,
  jitter: true,
};

/** Merges and checks polling pauses. */
export function pollingOf(base: Backoff, override: Partial<Backoff> | undefined): Backoff {
  if (override === undefined) return base;
  if (override === null || typeof override !== "object") {
    throw invalidArgument("polling", override, "an object");
  }
  const merged = { ...base, ...override };
  checkBackoff("polling", merged);
  return merged;
}

/** Checks the listing fields of {@linkcode ListOptions}; `maxPages` defaulted. */
export function listOptionsOf(
  options: ListOptions,
): { filter?: string; pageSize?: number; pageToken?: string; maxPages: number } {
  const { filter, pageSize, pageToken, maxPages = DEFAULT_MAX_PAGES } = options;
  if (!Number.isInteger(maxPages) || maxPages < 1) {
    throw invalidArgument("maxPages", maxPages, "an integer >= 1");
  }
  if (filter !== undefined && typeof filter !== "string") {
    throw invalidArgument("filter", filter, "a string");
  }
  if (
    pageSize !== undefined &&
    (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 2 ** 31 - 1)
  ) {
    throw invalidArgument("pageSize", pageSize, "an integer >= 1");
  }
  if (pageToken !== undefined && typeof pageToken !== "string") {
    throw invalidArgument("pageToken", pageToken, "a string");
  }
  return { filter, pageSize, pageToken, maxPages };
}

const METHODS: readonly MethodName[] = ["list", "get", "cancel", "delete", "wait"];

/** api_core's retry policy: the defaults, on transient errors. */
const BASE_POLICY: RetryPolicy = { ...DEFAULT_RETRY, predicate: isTransient };

/**
 * Checks the client's `retry` and `methodRetry` options before anything is
 * sent; returns what gives the policy in force for a call of `method` with
 * its own `retry` option (checked when the call is made).
 */
export function retryPolicies(
  retry: RetryOption | undefined,
  given: Partial<Record<MethodName, RetryOption>> | undefined,
): (method: MethodName, option: RetryOption | undefined) => RetryPolicy | false {
  resolveRetry(BASE_POLICY, retry);
  if (given !== undefined && given !== null && typeof given !== "object") {
    throw invalidArgument("methodRetry", given, "{ list?, get?, cancel?, delete?, wait? }");
  }
  const methodRetry = { ...given };
  for (const [method, option] of Object.entries(methodRetry)) {
    if (!METHODS.includes(method as MethodName)) {
      throw invalidArgument("methodRetry key", method, `one of ${METHODS.join(", ")}`);
    }
    resolveRetry(BASE_POLICY, retry, option);
  }
  return (method, option) => resolveRetry(BASE_POLICY, retry, methodRetry[method], option);
}
