/**
 * GET requests retried under the client's retry policy (and a call's own):
 * what `client.operations` and `client.query` use for idempotent calls.
 *
 * @module
 */

import {
  resolveRetry,
  retryingAfter,
  type RetryOption,
  type RetryPolicy,
} from "../../core/retry.ts";
import { INCUS_RETRY, isTransient } from "./transient.ts";
import type { Envelope, RequestInit, Transport } from "./transport.ts";

/**
 * Options of {@linkcode IdempotentRequests.get}: the request's `signal`,
 * `timeout` (unset: the transport's `requestTimeout`) and `fresh`
 * (a connection of its own, for long polls), and this call's `retry`
 * policy over the client's (`false`: none).
 */
export type IdempotentOptions = Pick<RequestInit, "signal" | "timeout" | "fresh"> & {
  retry?: RetryOption;
};

/** Sends GETs, retrying transient failures; the happy path pays nothing for it. */
export class IdempotentRequests {
  readonly #transport: Transport;
  readonly #base: RetryPolicy;
  readonly #option: RetryOption | undefined;
  readonly #policy: RetryPolicy | false;

  /**
   * @param transport The client's transport.
   * @param retry The client's retry option (validated here).
   */
  constructor(transport: Transport, retry: RetryOption | undefined) {
    this.#transport = transport;
    const predicate = (error: unknown) =>
      !transport.closed && isTransient(error, transport.answered);
    this.#base = { ...INCUS_RETRY, predicate };
    this.#option = retry;
    this.#policy = resolveRetry(this.#base, retry);
  }

  /** `GET path?query`, decoded, retried under the policy in force. */
  get(
    path: string,
    query: string | undefined,
    options: IdempotentOptions,
  ): Promise<Envelope> {
    let policy = this.#policy;
    try {
      // A bad per-call policy is refused before anything is sent.
      if (options.retry !== undefined) {
        policy = resolveRetry(this.#base, this.#option, options.retry);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    const init = { query, signal: options.signal, timeout: options.timeout, fresh: options.fresh };
    // No async function around it: the happy path is the transport's promise and one handler.
    return this.#transport.request("GET", path, init).catch((error) =>
      retryingAfter(
        error,
        ({ signal }) => this.#transport.request("GET", path, { ...init, signal }),
        policy,
        { signal: options.signal },
      )
    );
  }
}
