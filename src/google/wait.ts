/**
 * How {@linkcode LongRunningOperations.wait} follows an operation to its
 * end: long-polls with `POST {name}:wait` while the server has it (learnt
 * on first use), else polls `GET {name}` with backoff; then resolves with
 * the operation's `response` or throws the error it ended with.
 *
 * @module
 */

import { OperationCancelledError } from "../core/errors.ts";
import { DEFAULT_LONG_POLL_SLICE_MS } from "../core/defaults.ts";
import { type Backoff, pollUntilDone } from "../core/poll.ts";
import type { RetryPolicy } from "../core/retry.ts";
import { duration } from "../core/validate.ts";
import { LongRunningFailedError, RpcError } from "./errors.ts";
import type { RestClient } from "./http.ts";
import { Code, type Operation } from "./operation.ts";
import type { LongRunningOptions, WaitOptions, WaitResult } from "./options.ts";
// deno-lint-ignore no-unused-vars -- for {@linkcode} in the docs
import type { LongRunningOperations } from "./client.ts";

/** Time allowed past a `:wait` slice for its answer. */
const WAIT_GRACE_MS = 10_000;
/** A `:wait` that took this long waited server-side: poll again at once. */
const LONG_POLL_MS = 500;

/** Waits for the operations of one client, remembering whether its server has `:wait`. */
export class OperationWaiter {
  readonly #rest: RestClient;
  /** `true`: always `:wait`; `false`: never; unset: try it. */
  readonly #waitMethod: boolean | undefined;
  /** Longest server-side wait asked for in one `:wait` call, ms. */
  readonly #waitSliceMs: number;
  /** Whether the server answered `:wait` (learnt on first use). */
  #waitSupported: boolean | undefined;

  /** Checks the client's `waitSliceMs`. */
  constructor(rest: RestClient, options: LongRunningOptions) {
    this.#rest = rest;
    this.#waitMethod = options.waitMethod;
    const slice = duration("waitSliceMs", options.waitSliceMs) ?? DEFAULT_LONG_POLL_SLICE_MS;
    this.#waitSliceMs = Math.max(1_000, slice);
  }

  /**
   * Waits until the operation `name` (at `path`) is done, with checked
   * options; resolves as {@linkcode LongRunningOperations.wait} does.
   */
  async wait(
    name: string,
    path: string,
    options: WaitOptions,
    policy: RetryPolicy | false,
    polling: Backoff,
  ): Promise<WaitResult> {
    const rest = this.#rest;
    const operation = await pollUntilDone<Operation>(async ({ remaining, signal }) => {
      const started = performance.now();
      const step = { signal, policy };
      let op: Operation | undefined;
      let longPoll = false;
      if (this.#waitMethod !== false && this.#waitSupported !== false) {
        const slice = Math.min(remaining ?? Infinity, this.#waitSliceMs);
        const seconds = Math.max(1, Math.ceil(slice / 1000));
        try {
          op = await rest.operation("POST", `${path}:wait`, {
            ...step,
            body: { timeout: `${seconds}s` },
            attemptTimeout: seconds * 1000 + WAIT_GRACE_MS,
          });
          this.#waitSupported = true;
          longPoll = true;
        } catch (error) {
          if (this.#waitMethod === true || !lacksMethod(error)) throw error;
          // A 404 may mean "no such method" or "no such operation": GET tells.
          op = await rest.operation("GET", path, step);
          this.#waitSupported = false;
        }
      }
      op ??= await rest.operation("GET", path, step);
      options.onProgress?.(op);
      if (op.done === true) return { done: true, value: op };
      const waited = longPoll && performance.now() - started >= LONG_POLL_MS;
      return waited ? { done: false, pause: false } : { done: false };
    }, {
      timeout: options.timeout,
      signal: options.signal,
      backoff: polling,
      timeoutMessage: `operation ${name} still running after ${options.timeout} ms`,
    });
    return settle(name, operation, path);
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
