/**
 * The one place the google.longrunning client sends requests: JSON over
 * `fetch` (optionally through the caller's `Deno.HttpClient`), headers from
 * the caller, a time limit per attempt, retries under a policy, and errors
 * read as `google.rpc.Status`.
 *
 * @module
 */

import { timeLimit } from "../core/deadlines.ts";
import { parseJson, readTextLimited } from "../core/body.ts";
import { abortable } from "../core/signals.ts";
import { ConnectionError, InvalidArgumentError, ProtocolError } from "../core/errors.ts";
// deno-lint-ignore no-unused-vars -- for {@linkcode} in the docs
import type { ResponseTimeoutError } from "../core/errors.ts";
import { abortError, redirectError, TimeLimitReached } from "../core/request_errors.ts";
import { DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_REQUEST_TIMEOUT_MS } from "../core/defaults.ts";
import { retrying, type RetryPolicy } from "../core/retry.ts";
import { duration } from "../core/validate.ts";
import {
  codeOfHttpStatus,
  codeOfName,
  isOperation,
  type Operation,
  type Status,
} from "./operation.ts";
import { RpcError } from "./errors.ts";
import { baseUrlOf } from "./name.ts";
import type { CallOptions, LongRunningOptions } from "./options.ts";

/** One call: its request, and how long and how often it is tried. */
export interface RestCall extends CallOptions {
  /** Query parameters. */
  query?: URLSearchParams;
  /** JSON body. */
  body?: unknown;
  /** The time limit of each attempt, ms (instead of `requestTimeout`). */
  attemptTimeout?: number;
  /** The retry policy in force (the call's `retry` option resolved). */
  policy: RetryPolicy | false;
}

/** Sends JSON requests below a base URL and reads JSON answers. */
export class RestClient {
  /** The base URL requests go below, without a trailing `/`. */
  readonly baseUrl: string;
  readonly #url: URL;
  readonly #options: LongRunningOptions;
  readonly #requestTimeout: number;
  readonly #maxResponseBytes: number;

  /** Checks the options of {@linkcode RestClient.call}; throws `InvalidArgumentError`. */
  constructor(options: LongRunningOptions) {
    this.#url = baseUrlOf(options.baseUrl);
    if (options.getHeaders !== undefined && typeof options.getHeaders !== "function") {
      throw new InvalidArgumentError("invalid getHeaders: expected a function");
    }
    this.#options = { ...options };
    this.#requestTimeout = duration("requestTimeout", options.requestTimeout) ??
      DEFAULT_REQUEST_TIMEOUT_MS;
    this.#maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.baseUrl = this.#url.href.replace(/\/+$/, "");
  }

  /**
   * Sends `method path` until an attempt succeeds or the call's `policy`
   * gives up, within its `timeout` and `signal`, and resolves with the
   * decoded answer.
   */
  call(method: string, path: string, call: RestCall): Promise<unknown> {
    return retrying(({ signal }) => this.#send(method, path, call, signal), call.policy, {
      signal: call.signal,
      timeout: call.timeout,
      timeoutMessage: `${method} ${path}: no answer within ${call.timeout} ms`,
    });
  }

  /** {@linkcode RestClient.call} for an answer that must be an `Operation`. */
  async operation(method: string, path: string, call: RestCall): Promise<Operation> {
    const answer = await this.call(method, path, call);
    if (!isOperation(answer)) throw this.answerError(method, path, 200, "not an Operation");
    return answer;
  }

  /** The error for an answer to `method path` that is `what` (e.g. "not an Operation"). */
  answerError(method: string, path: string, status: number, what: string): ProtocolError {
    const { pathname, origin } = this.#url;
    return new ProtocolError(
      `${method} ${pathname}${path}: the answer from ${origin} is ${what}`,
      { status, method, path: pathname + path, endpoint: origin },
    );
  }

  /**
   * Sends one attempt of `method path` and resolves with the decoded JSON
   * answer (`{}` for an empty one). Throws {@linkcode RpcError} for an HTTP
   * error, {@linkcode ResponseTimeoutError} when the attempt's limit passes,
   * {@linkcode ProtocolError} for an answer that is not JSON or too large,
   * {@linkcode ConnectionError} when the server cannot be reached, and the
   * signal's reason when `signal` aborts.
   */
  async #send(method: string, path: string, call: RestCall, signal: AbortSignal): Promise<unknown> {
    signal.throwIfAborted();
    const fullPath = this.#url.pathname + path;
    const endpoint = this.#url.origin;
    const limit = call.attemptTimeout ?? this.#requestTimeout;
    const attempt = timeLimit(limit, { reason: () => new TimeLimitReached() });
    const stopped = AbortSignal.any([signal, attempt.signal]);
    const query = call.query?.toString();
    const url = `${this.baseUrl}${path}${query ? `?${query}` : ""}`;
    try {
      const headers = await this.#headers(stopped, call.body !== undefined);
      const response = await fetch(url, {
        method,
        headers,
        client: this.#options.client,
        signal: stopped,
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        // Never followed: it would send the headers (an API key) and the
        // body to wherever the Location points.
        redirect: "manual",
      }).catch((error) => {
        throw stopped.aborted ? error : this.#connectionError(error, method, fullPath);
      });
      if (response.status >= 300 && response.status < 400) {
        await response.body?.cancel();
        throw redirectError(
          response,
          { method, path: fullPath, endpoint },
          "redirects are not followed (they would carry the request's headers and body)",
        );
      }
      const max = this.#maxResponseBytes;
      const refuse = (what: string) => this.answerError(method, path, response.status, what);
      const over = `over the ${max}-byte limit (raise maxResponseBytes to accept it)`;
      const text = await readTextLimited(response, max, (size) => refuse(`${size}, ${over}`));
      if (!response.ok) throw rpcError(text, response, method, fullPath);
      const answer = text.trim() === "" ? {} : parseJson(text);
      if (answer !== undefined) return answer;
      const shown = JSON.stringify(text.slice(0, 80));
      throw refuse(`not JSON (HTTP ${response.status}, ${text.length} characters: ${shown})`);
    } catch (error) {
      throw abortError(stopped, error, { method, path: fullPath, endpoint, limit }) ?? error;
    } finally {
      attempt.clear();
    }
  }

  async #headers(signal: AbortSignal, json: boolean): Promise<Headers> {
    const headers = new Headers(this.#options.headers);
    const getHeaders = this.#options.getHeaders;
    if (getHeaders !== undefined) {
      // Raced with the signal: a source that never settles must not outlast the call's limit.
      const given = new Promise<HeadersInit>((resolve) => resolve(getHeaders({ signal })));
      const extra = new Headers(await abortable(given, signal));
      signal.throwIfAborted();
      for (const [key, value] of extra) headers.set(key, value);
    }
    headers.set("accept", "application/json");
    if (json) headers.set("content-type", "application/json");
    return headers;
  }

  /** Explains a failed connection without repeating any header or URL secret. */
  #connectionError(error: unknown, method: string, path: string): ConnectionError {
    const { origin, host } = this.#url;
    const init = { status: 0, method, path, endpoint: origin, cause: error };
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      return new ConnectionError(
        `${method} ${path}: Deno may not reach ${origin}: run deno with --allow-net=${host}`,
        init,
      );
    }
    const detail = error instanceof Error ? error.message : String(error);
    return new ConnectionError(`${method} ${path}: cannot reach ${origin}: ${detail}`, init);
  }
}

/** Reads an HTTP error as a `google.rpc.Status`, or from the HTTP status alone. */
function rpcError(text: string, response: Response, method: string, path: string): RpcError {
  const body = parseJson(text) as { error?: Partial<Status> & { status?: unknown } } | undefined;
  const error = body?.error;
  const status = response.status;
  if (error !== null && typeof error === "object") {
    const code = codeOfName(error.status) ??
      // `code` is the HTTP status in Google's JSON errors; a 0..16 one is an
      // rpc code (grpc-gateway style).
      (Number.isInteger(error.code) && error.code! >= 0 && error.code! <= 16
        ? error.code!
        : codeOfHttpStatus(status));
    const message = typeof error.message === "string" && error.message !== ""
      ? error.message
      : `HTTP ${status}`;
    const details = Array.isArray(error.details) ? error.details : [];
    return new RpcError(message, { code, status, method, path, details });
  }
  const shown = text.trim() === "" ? "" : `: ${JSON.stringify(text.slice(0, 80))}`;
  return new RpcError(`HTTP ${status} ${response.statusText}`.trim() + shown, {
    code: codeOfHttpStatus(status),
    status,
    method,
    path,
  });
}
