/**
 * `OperationHandle`: one operation of one client, with its id and last known
 * state, and the collection's calls (`wait`, `cancel`, `refresh`, `watch`,
 * `websocket`) bound to it, like the Go client's `Operation` and pylxd's.
 *
 * @module
 */

import {
  OperationCancelledError,
  OperationFailedError,
  OperationTimeoutError,
} from "../core/errors.ts";
import { applyMutator, type Mutator } from "../core/mutator.ts";
import type { Operation } from "./operation.ts";
import { operationRef } from "./operation_id.ts";
import type { Operations } from "./operations/mod.ts";
import type { CallOptions, WaitOptions, WatchOptions } from "./operations/options.ts";
import type { WebSocketOptions } from "./transport/websocket.ts";

/**
 * Options of {@linkcode OperationHandle}'s constructor and of
 * `client.operations.handle()`.
 */
export interface OperationHandleOptions {
  /**
   * The project of the operation, used by every call of the handle that
   * names none.
   *
   * @default {undefined} (the operation's `project` when made from an operation, else the client's)
   */
  project?: string;
}

/**
 * One operation of one client: its `id`, the last state seen
 * (`operation`), and the calls of `client.operations` bound to it, with the
 * same options and errors. Every call updates `operation` with what it
 * learnt (a failed wait too: from the error's operation). Get one from
 * `client.operations.handle(idOrOperation)` (an id, a `/1.0/operations/<id>`
 * path, an operation that `client.query()` resolved, or `process.id` of
 * `client.exec()`), or from `client.startOperation()`. A handle is itself an
 * operation reference: `client.operations.wait(handle)` works too.
 *
 * @typeParam O The operation's type ({@linkcode ExecOperation} for an exec).
 *
 * @example Start, watch and wait
 * ```ts
 * import { connect } from "@incusops/operations";
 * import { FakeDaemon } from "@incusops/operations/testing";
 *
 * await using daemon = await FakeDaemon.start();
 * await using client = connect({ socket: daemon.path });
 * const handle = await client.startOperation("/1.0/instances/c1/exec", {
 *   body: { command: ["sleep", "0.05"], "wait-for-websocket": false },
 * });
 * console.log(handle.id, handle.operation?.status); // "Running"
 * const final = await handle.wait({ timeout: 10_000 });
 * console.log(final.metadata?.return); // 0
 * ```
 *
 * @example From an id
 * ```ts
 * import { connect } from "@incusops/operations";
 * import { FakeDaemon } from "@incusops/operations/testing";
 *
 * await using daemon = await FakeDaemon.start();
 * const { id } = daemon.createOperation({ mayCancel: true });
 * await using client = connect({ socket: daemon.path });
 * const handle = client.operations.handle(id);
 * console.log((await handle.refresh()).status); // "Running"
 * await handle.cancel();
 * ```
 */
export class OperationHandle<O extends Operation = Operation> {
  /** The operation's UUID. */
  readonly id: string;
  /** The project every call uses unless given one (`undefined`: the client's). */
  readonly project: string | undefined;
  readonly #operations: Operations;
  #last: O | undefined;

  /**
   * Usually made by `client.operations.handle()`.
   *
   * @param operations The client's `client.operations`.
   * @param idOrOperation The operation's UUID or `/1.0/operations/<uuid>`
   *   path, or the operation itself (then also its first known state).
   * @param options The project.
   * @throws {InvalidArgumentError} Not an operation id, nor an object with one.
   */
  constructor(
    operations: Operations,
    idOrOperation: string | O,
    options: OperationHandleOptions = {},
  ) {
    const { id, project } = operationRef(idOrOperation);
    this.id = id;
    this.project = options.project ?? project;
    if (typeof idOrOperation === "object") this.#last = idOrOperation;
    this.#operations = operations;
  }

  /**
   * The last state of the operation this handle saw, `undefined` until a
   * call read it (when made from an id).
   *
   * @returns The last known state.
   */
  get operation(): O | undefined {
    return this.#last;
  }

  /**
   * Reads the operation again ({@linkcode Operations.get}).
   *
   * @param options `signal`, `project`, `retry`.
   * @param mutator Applied to the operation.
   * @returns Its current state, or the mutator's result.
   * @throws {OperationNotFoundError} The server does not know it (any more).
   *
   * @example
   * ```ts
   * import { connect } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * const { id } = daemon.createOperation();
   * await using client = connect({ socket: daemon.path });
   * const handle = client.operations.handle(id);
   * daemon.update(id, { progress: { percent: "40" } });
   * console.log((await handle.refresh()).metadata?.progress);
   * daemon.finish(id, { status: "Success" });
   * ```
   */
  async refresh<R = O>(options: CallOptions = {}, mutator?: Mutator<O, R>): Promise<NoInfer<R>> {
    const current = await this.#operations.get(this, options) as O;
    this.#last = current;
    return await applyMutator(current, mutator);
  }

  /**
   * Waits until the operation is final ({@linkcode Operations.wait}):
   * resolves with it on Success, rejects with
   * {@linkcode OperationFailedError}, {@linkcode OperationCancelledError},
   * a `TimeoutError` or the signal's reason otherwise.
   *
   * @param options `timeout` (ms), `signal`, `project`, `onProgress`, `retry`.
   * @param mutator Applied to the final operation.
   * @returns The final operation, or the mutator's result.
   *
   * @example
   * ```ts
   * import { connect } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * const op = daemon.createOperation({ durationMs: 20 });
   * await using client = connect({ socket: daemon.path });
   * const final = await client.operations.handle(op).wait({ timeout: 5_000 });
   * console.log(final.status); // "Success"
   * ```
   */
  async wait<R = O>(options: WaitOptions = {}, mutator?: Mutator<O, R>): Promise<NoInfer<R>> {
    const final = await this.#operations.wait(this, options).catch((error) => {
      throw this.#learn(error);
    }) as O;
    this.#last = final;
    return await applyMutator(final, mutator);
  }

  /**
   * Cancels the operation ({@linkcode Operations.cancel}); resolves once the
   * server accepted. It does not wait for the operation to end: `wait()`
   * then rejects with {@linkcode OperationCancelledError}.
   *
   * @param options `signal`, `project`.
   * @param mutator Applied to the result (`undefined`).
   * @returns `undefined`, or the mutator's result.
   * @throws {NotCancellableError} It cannot be cancelled, or is over.
   * @throws {OperationNotFoundError} The server does not know it.
   *
   * @example
   * ```ts
   * import { connect, OperationCancelledError } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * const op = daemon.createOperation({ mayCancel: true });
   * await using client = connect({ socket: daemon.path });
   * const handle = client.operations.handle(op);
   * await handle.cancel();
   * await handle.wait().catch((error) => console.log(error instanceof OperationCancelledError));
   * ```
   */
  async cancel<R = void>(
    options: CallOptions = {},
    mutator?: Mutator<void, R>,
  ): Promise<NoInfer<R>> {
    return await this.#operations.cancel(this, options, mutator);
  }

  /**
   * Every state of the operation until it is final
   * ({@linkcode Operations.watch}): the current one, then each change.
   *
   * @param options `signal`, `project`, `pollMs`.
   * @returns An async iterator of states.
   *
   * @example
   * ```ts
   * import { connect } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * const op = daemon.createOperation({ durationMs: 20 });
   * await using client = connect({ socket: daemon.path });
   * for await (const state of client.operations.handle(op).watch()) {
   *   console.log(state.status); // "Running", then "Success"
   * }
   * ```
   */
  async *watch(options: WatchOptions = {}): AsyncGenerator<O, void, undefined> {
    for await (const state of this.#operations.watch(this, options)) {
      this.#last = state as O;
      yield state as O;
    }
  }

  /**
   * Opens one of the operation's websockets
   * ({@linkcode Operations.websocket}). `secret` is a secret of
   * `metadata.fds`, or the name of one (`"0"`, `"control"`, ...) looked up
   * in the last known state.
   *
   * @param secret A secret, or the fd whose secret to use.
   * @param options `signal`.
   * @param mutator Applied to the open socket.
   * @returns The open `WebSocket`, or the mutator's result.
   *
   * @example
   * ```ts
   * import { connect } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   * import { assertEquals } from "@std/assert";
   *
   * await using daemon = await FakeDaemon.start();
   * await using client = connect({ socket: daemon.path }); // a real daemon: connect()
   * const handle = await client.startOperation("/1.0/instances/c1/exec", {
   *   body: { command: ["echo", "hi"], "wait-for-websocket": true, interactive: false },
   * });
   * const socket = await handle.websocket("control");
   * assertEquals(socket.readyState, WebSocket.OPEN);
   * socket.close();
   * ```
   */
  async websocket<R = WebSocket>(
    secret: string,
    options: WebSocketOptions = {},
    mutator?: Mutator<WebSocket, R>,
  ): Promise<NoInfer<R>> {
    const fds = this.#last?.metadata?.fds;
    const named = fds !== null && typeof fds === "object" && Object.hasOwn(fds, secret)
      ? (fds as Record<string, unknown>)[secret]
      : undefined;
    const value = typeof named === "string" ? named : secret;
    return await this.#operations.websocket(this.id, value, options, mutator);
  }

  /** Keeps the operation an outcome error carries as the last state; returns the error. */
  #learn(error: unknown): unknown {
    if (
      error instanceof OperationFailedError || error instanceof OperationCancelledError ||
      error instanceof OperationTimeoutError
    ) {
      const operation = error.operation as O | undefined;
      if (operation?.id === this.id) this.#last = operation;
    }
    return error;
  }
}
