/**
 * The one place the google.longrunning client sends requests: JSON over
 * `fetch` (optionally through the caller's `Deno.HttpClient`), headers from
 * the caller, a time limit per attempt, and errors read as
 * `google.rpc.Status`.
 *
 * @module
 */

import { timeLimit } from "../core/deadlines.ts";
import { readTextLimited } from "../core/body.ts";
import { abortable, anySignal } from "../core/signals.ts";
import { ConnectionError, ProtocolError } from "../core/errors.ts";
// deno-lint-ignore no-unused-vars -- for {@linkcode} in the docs
import type { ResponseTimeoutError } from "../core/errors.ts";
import { abortError, redirectError, TimeLimitReached } from "../core/request_errors.ts";

import { codeOfHttpStatus, codeOfName, type Status } from "./operation.ts";
import { RpcError } from "./errors.ts";

/** Headers for a request, or a function giving them (e.g. a fresh OAuth token). */
export type HeadersSource = (
  context: { signal: AbortSignal },
) => HeadersInit | Promise<HeadersInit>;

/** How {@linkcode RestClient} reaches the server. */
export interface RestTarget {
  /** The checked base URL, without a trailing `/`. */
  baseUrl: URL;
  /** Headers sent with every request. */
  headers?: HeadersInit;
  /** Called before every attempt; its headers are added to `headers`. */
  getHeaders?: HeadersSource;
  /** The `Deno.HttpClient` to send through (the caller keeps and closes it). */
  client?: Deno.HttpClient;
  /** Time limit of one attempt, ms. */
  requestTimeout: number;
  /** Largest response body accepted, bytes. */
  maxResponseBytes: number;
}

/** One request. */
export interface RestRequest {
  /** Query parameters. */
  query?: URLSearchParams;
  /** JSON body. */
  body?: unknown;
  /** Aborts the request; it rejects with the signal's reason. */
  signal?: AbortSignal;
  /** This attempt's own time limit, ms (instead of `requestTimeout`). */
  timeout?: number;
}

/** Sends JSON requests below a base URL and reads JSON answers. */
export class RestClient {
  readonly #target: RestTarget;
  readonly #base: string;
  readonly #basePath: string;
  readonly #origin: string;

  constructor(target: RestTarget) {
    this.#target = target;
    this.#base = target.baseUrl.href.replace(/\/+$/, "");
    this.#basePath = target.baseUrl.pathname;
    this.#origin = target.baseUrl.origin;
  }

  /** The base URL requests go below. */
  get baseUrl(): string {
    return this.#base;
  }

  /**
   * Sends `method path` and resolves with the decoded JSON answer (`{}` for
   * an empty one). Throws {@linkcode RpcError} for an HTTP error,
   * {@linkcode ResponseTimeoutError} when the attempt's limit passes,
   * {@linkcode ProtocolError} for an answer that is not JSON or too large,
   * {@linkcode ConnectionError} when the server cannot be reached, and the
   * signal's reason when `signal` aborts.
   */
  async send(method: string, path: string, request: RestRequest = {}): Promise<unknown> {
    const { signal } = request;
    signal?.throwIfAborted();
    const fullPath = this.#basePath + path;
    const limit = request.timeout ?? this.#target.requestTimeout;
    const attempt = timeLimit(limit, { reason: () => new TimeLimitReached() });
    const stopped = anySignal(signal, attempt.signal)!;
    const query = request.query?.toString();
    const url = `${this.#base}${path}${query ? `?${query}` : ""}`;
    try {
      const headers = await this.#headers(stopped, request.body !== undefined);
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers,
          client: this.#target.client,
          signal: stopped,
          body: request.body === undefined ? undefined : JSON.stringify(request.body),
          // Never followed: it would send the headers (an API key) and the
          // body to wherever the Location points.
          redirect: "manual",
        });
      } catch (error) {
        if (stopped.aborted) throw error;
        throw this.#connectionError(error, method, fullPath);
      }
      if (response.status >= 300 && response.status < 400) {
        await response.body?.cancel();
        throw redirectError(
          response,
          { method, path: fullPath, endpoint: this.#origin },
          "redirects are not followed (they would carry the request's headers and body)",
        );
      }
      const text = await readTextLimited(
        response,
        this.#target.maxResponseBytes,
        (size) =>
          new ProtocolError(
            `${method} ${fullPath}: the answer from ${this.#origin} is ${size}, over the ` +
              `${this.#target.maxResponseBytes}-byte limit (raise maxResponseBytes to accept it)`,
            { status: response.status, method, path: fullPath, endpoint: this.#origin },
          ),
      );
      if (!response.ok) throw rpcError(text, response, method, fullPath);
      return decodeJson(text, response.status, method, fullPath, this.#origin);
    } catch (error) {
      throw abortError(stopped, error, { method, path: fullPath, endpoint: this.#origin, limit }) ??
        error;
    } finally {
      attempt.clear();
    }
  }

  async #headers(signal: AbortSignal, json: boolean): Promise<Headers> {
    const headers = new Headers(this.#target.headers);
    if (this.#target.getHeaders !== undefined) {
      const getHeaders = this.#target.getHeaders;
      // Raced with the signal: a source that never settles must not outlast the call's limit.
      const extra = new Headers(
        await abortable(
          new Promise<HeadersInit>((resolve) => resolve(getHeaders({ signal }))),
          signal,
        ),
      );
      signal.throwIfAborted();
      for (const [key, value] of extra) headers.set(key, value);
    }
    headers.set("accept", "application/json");
    if (json) headers.set("content-type", "application/json");
    return headers;
  }

  /** Explains a failed connection without repeating any header or URL secret. */
  #connectionError(error: unknown, method: string, path: string): ConnectionError {
    const init = { status: 0, method, path, endpoint: this.#origin, cause: error };
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      return new ConnectionError(
        `${method} ${path}: Deno may not reach ${this.#origin}: run deno with ` +
          `--allow-net=${this.#target.baseUrl.host}`,
        init,
      );
    }
    const detail = error instanceof Error ? error.message : String(error);
    return new ConnectionError(
      `${method} ${path}: cannot reach ${this.#origin}: ${detail}`,
      init,
    );
  }
}

/** Decodes a JSON answer (`{}` when empty). */
function decodeJson(
  text: string,
  status: number,
  method: string,
  path: string,
  endpoint: string,
): unknown {
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ProtocolError(
      `${method} ${path}: the answer from ${endpoint} is not JSON (HTTP ${status}, ` +
        `${text.length} characters: ${JSON.stringify(text.slice(0, 80))})`,
      { status, method, path, endpoint },
    );
  }
}

/** Reads an HTTP error as a `google.rpc.Status`, or from the HTTP status alone. */
function rpcError(text: string, response: Response, method: string, path: string): RpcError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const error = (body as { error?: Partial<Status> & { status?: unknown } } | undefined)?.error;
  const status = response.status;
  if (error !== null && typeof error === "object") {
    const code = codeOfName(error.status) ??
      // `code` is the HTTP status in Google's JSON errors; a 0..16 one is an
      // rpc code (grpc-gateway style).
      (typeof error.code === "number" && Number.isInteger(error.code) && error.code >= 0 &&
          error.code <= 16
        ? error.code
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
