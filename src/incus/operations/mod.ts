/**
 * `client.operations`: list, get, wait for, watch, cancel and delete
 * Incus/LXD operations. This facade checks the arguments, calls the job's
 * function (one file each) and applies the mutator.
 *
 * @module
 */

import { applyMutator, type Mutator } from "../../core/mutator.ts";
import type { Operation, OperationsByStatus } from "../operation.ts";
import { type OperationRef, operationRef } from "../operation_id.ts";
import { callScope, type ClientScope } from "../call_scope.ts";
import type { Transport } from "../transport/transport.ts";
import { openOperationWebSocket, type WebSocketOptions } from "../transport/websocket.ts";
import type {
  CallOptions,
  ListOptions,
  ListResult,
  OperationsSettings,
  WaitManyOptions,
  WaitOptions,
  WatchOptions,
} from "./options.ts";
import { OperationsContext } from "./context.ts";
import { settle, waitFinal } from "./wait.ts";
import { allSettled, firstFinal, firstSuccess, waitMany } from "./wait_many.ts";
import { watchOperation } from "./states.ts";
import type { OperationsByMember } from "../cluster.ts";
import { OperationHandle, type OperationHandleOptions } from "../operation_handle.ts";

/** Closes the shared events connections (for the client's `close()`, not a public method). */
export let closeOperationEvents: (operations: Operations) => Promise<void>;

/**
 * The operations API of one client, reached as `client.operations`. Every
 * method takes an options object (with `signal` and `project`) and, last, an
 * optional mutator applied to its result. Every method that takes an
 * operation takes its id, its `/1.0/operations/<id>` path, or the
 * `Operation` object itself.
 *
 * @example Wait for everything that is running
 * ```ts
 * import { connect } from "@incusops/operations";
 * import { FakeDaemon } from "@incusops/operations/testing";
 *
 * await using daemon = await FakeDaemon.start();
 * daemon.createOperation({ durationMs: 20 });
 * await using client = connect({ socket: daemon.path });
 * for (const op of await client.operations.list()) {
 *   if (op.status === "Running") await client.operations.wait(op, { timeout: 10_000 });
 * }
 * ```
 */
export class Operations {
  readonly #context: OperationsContext;
  readonly #defaults: ClientScope;

  static {
    closeOperationEvents = (operations) => operations.#context.closeHubs();
  }

  /**
   * Made by `connect()`; not meant to be constructed directly.
   *
   * @param transport The client's transport.
   * @param settings Default project and member, waiting-loop knobs, clock.
   */
  constructor(transport: Transport, settings: OperationsSettings = {}) {
    this.#context = new OperationsContext(transport, settings);
    this.#defaults = this.#context.defaults;
  }

  /**
   * Lists operations, oldest first, or their ids. The result's type follows
   * `options.recursion` ({@linkcode ListResult}): operations for `1` or
   * none, ids for `0`, either when only known at run time (`0 | 1`).
   *
   * @typeParam O The options' type (inferred).
   * @typeParam R The mutator's result.
   * @param options `recursion`, `project`, `allProjects`, `target`, `partial`, `signal`, `retry`.
   * @param mutator Applied to the operations or ids.
   * @returns The operations or ids, or the mutator's result.
   *
   * @example
   * ```ts
   * import { connect } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * const created = daemon.createOperation();
   * await using client = connect({ socket: daemon.path });
   * const ops = await client.operations.list(); // Operation[]
   * const ids = await client.operations.list({ recursion: 0 }); // string[]
   * const count = await client.operations.list({}, (ops) => ops.length); // number
   * console.log(ops[0].status, ids[0] === created.id, count); // "Running" true 1
   * ```
   */
  async list<const O extends ListOptions = { recursion?: 1 }, R = ListResult<O>>(
    options?: O,
    mutator?: Mutator<ListResult<O>, R>,
  ): Promise<NoInfer<R>> {
    const list = options ?? {};
    const found = await this.#context.lister.list(callScope(this.#defaults, list), list);
    return await applyMutator(found as ListResult<O>, mutator);
  }

  /**
   * Lists operations grouped by lower-case status, as the server groups
   * them; every known status is a key (empty ones hold `[]`).
   *
   * @param options `project`, `allProjects`, `signal`, `retry`.
   * @param mutator Applied to the result.
   * @returns The groups, or the mutator's result.
   *
   * @example
   * ```ts
   * import { connect } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * daemon.createOperation({ description: "Creating instance" });
   * await using client = connect({ socket: daemon.path });
   * const { running } = await client.operations.listByStatus();
   * console.log(running.map((op) => op.description)); // ["Creating instance"]
   * ```
   */
  async listByStatus<R = OperationsByStatus>(
    options: Omit<ListOptions, "recursion"> = {},
    mutator?: Mutator<OperationsByStatus, R>,
  ): Promise<NoInfer<R>> {
    const scope = callScope(this.#defaults, options);
    const groups = await this.#context.lister.listByStatus(scope, options);
    return await applyMutator(groups, mutator);
  }

  /**
   * Lists operations grouped by the cluster member they run on (their
   * `location`), with the members that could not be heard from, whose
   * operations are missing (no error is thrown for them). Outside a cluster
   * the one group is `none`.
   *
   * @param options `target` (one member), `project`, `allProjects`, `signal`, `retry`.
   * @param mutator Applied to the result.
   * @returns `{ members, unreachable }`, or the mutator's result.
   *
   * @example
   * ```ts
   * import { connect } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * daemon.createOperation();
   * await using client = connect({ socket: daemon.path });
   * const { members, unreachable } = await client.operations.listByMember();
   * console.log(Object.keys(members), unreachable); // ["none"] []
   * ```
   */
  async listByMember<R = OperationsByMember>(
    options: Omit<ListOptions, "recursion" | "partial"> = {},
    mutator?: Mutator<OperationsByMember, R>,
  ): Promise<NoInfer<R>> {
    const scope = callScope(this.#defaults, options);
    const groups = await this.#context.lister.listByMember(scope, options);
    return await applyMutator(groups, mutator);
  }

  /**
   * Gets one operation.
   *
   * @param operation Its UUID, `/1.0/operations/<uuid>` path, or an object with its `id`.
   * @param options `project`, `signal`, `retry`.
   * @param mutator Applied to the result.
   * @returns The operation, or the mutator's result.
   * @throws {InvalidArgumentError} `operation` names no operation id; nothing was sent.
   * @throws {OperationNotFoundError} The server does not know it (any more).
   *
   * @example
   * ```ts
   * import { connect } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * const created = daemon.createOperation();
   * await using client = connect({ socket: daemon.path });
   * const op = await client.operations.get(created.id);
   * console.log(op.status); // "Running"
   * ```
   */
  get<R = Operation>(
    operation: OperationRef,
    options: CallOptions = {},
    mutator?: Mutator<Operation, R>,
  ): Promise<NoInfer<R>> {
    // No async function: the hot path is the request's promise and one handler.
    let read: Promise<Operation>;
    try {
      read = this.#context.read(callScope(this.#defaults, options, operationRef(operation)));
    } catch (error) {
      return Promise.reject(error);
    }
    return (mutator === undefined ? read : read.then(mutator)) as Promise<R>;
  }

  /**
   * Waits until the operation is final (how: {@linkcode WaitOptions}).
   * Resolves with the final operation on Success; rejects with
   * `OperationFailedError` on Failure, `OperationCancelledError` on
   * Cancelled, `OperationTimeoutError` (`name` "TimeoutError", with the id
   * and the last state seen) when `timeout` passes, and the signal's reason
   * when `signal` aborts. The operation keeps running when the wait gives
   * up, unless `cancelOnAbort` is set.
   *
   * @param operation Its UUID, `/1.0/operations/<uuid>` path, or an object with its `id`.
   * @param options `timeout` (ms), `signal`, `cancelOnAbort`, `project`, `onProgress`, `pollMs`, `retry`.
   * @param mutator Applied to the final operation.
   * @returns The final operation, or the mutator's result.
   *
   * @example
   * ```ts
   * import { connect, type Operation } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * await using client = connect({ socket: daemon.path });
   * const started = await client.query<Operation>("/1.0/instances/c1/exec", {
   *   method: "POST",
   *   body: { command: ["sleep", "0.05"], "wait-for-websocket": false },
   * });
   * const done = await client.operations.wait(started, { timeout: 10_000 });
   * console.log(done.status); // "Success"
   * ```
   */
  async wait<R = Operation>(
    operation: OperationRef,
    options: WaitOptions = {},
    mutator?: Mutator<Operation, R>,
  ): Promise<NoInfer<R>> {
    const scope = callScope(this.#defaults, options, operationRef(operation));
    try {
      return await applyMutator(settle(await waitFinal(this.#context, scope, options)), mutator);
    } finally {
      scope.limit?.clear();
    }
  }

  /**
   * Every distinct state of an operation, the current one first, until the
   * final one (from the shared events connection, else read every
   * `pollMs`). Throws `OperationNotFoundError` if the operation is unknown,
   * and the signal's reason when `signal` aborts.
   *
   * @param operation Its UUID, `/1.0/operations/<uuid>` path, or an object with its `id`.
   * @param options `signal`, `project`, `pollMs`, `retry`.
   * @returns An async iterator of operation states.
   *
   * @example
   * ```ts
   * import { connect } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * const op = daemon.createOperation({ durationMs: 20 });
   * await using client = connect({ socket: daemon.path });
   * for await (const state of client.operations.watch(op)) console.log(state.status);
   * ```
   */
  watch(
    operation: OperationRef,
    options: WatchOptions = {},
  ): AsyncGenerator<Operation, void, undefined> {
    const scope = callScope(this.#defaults, options, operationRef(operation));
    return watchOperation(this.#context, scope, options);
  }

  /**
   * Waits for every operation, as `Promise.all` does: resolves with their
   * final states in the given order; rejects with the first failure (failed,
   * cancelled, timed out, not found) and stops *waiting* for the others
   * (they keep running: {@linkcode WaitManyOptions}).
   *
   * @param operations Their ids, paths or objects.
   * @param options `timeout`, `signal`, `cancelOnAbort`, `project`, `concurrency`, `onProgress`.
   * @param mutator Applied to the final operations.
   * @returns The final operations, or the mutator's result.
   *
   * @example
   * ```ts
   * import { connect } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * const ops = [daemon.createOperation({ durationMs: 10 }), daemon.createOperation({ durationMs: 20 })];
   * await using client = connect({ socket: daemon.path });
   * const done = await client.operations.waitAll(ops, { timeout: 10_000 });
   * console.log(done.map((op) => op.status)); // ["Success", "Success"]
   * ```
   */
  async waitAll<R = Operation[]>(
    operations: readonly OperationRef[],
    options: WaitManyOptions = {},
    mutator?: Mutator<Operation[], R>,
  ): Promise<NoInfer<R>> {
    const finals = await waitMany(this.#context, operations, options, (w) => Promise.all(w));
    return await applyMutator(finals, mutator);
  }

  /**
   * Waits for every operation, as `Promise.allSettled` does: resolves with
   * every outcome in the given order, the final operation (Success) or the
   * error its wait rejected with. Rejects only with the signal's reason.
   *
   * @param operations Their ids, paths or objects.
   * @param options `timeout`, `signal`, `cancelOnAbort`, `project`, `concurrency`, `onProgress`.
   * @param mutator Applied to the outcomes.
   * @returns The outcomes, or the mutator's result.
   *
   * @example
   * ```ts
   * import { connect } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * const ok = daemon.createOperation({ durationMs: 10 });
   * const bad = daemon.createOperation({ durationMs: 10, outcome: "Failure", err: "boom" });
   * await using client = connect({ socket: daemon.path });
   * const outcomes = await client.operations.waitAllSettled([ok, bad]);
   * console.log(outcomes.map((o) => o.status)); // ["fulfilled", "rejected"]
   * ```
   */
  async waitAllSettled<R = PromiseSettledResult<Operation>[]>(
    operations: readonly OperationRef[],
    options: WaitManyOptions = {},
    mutator?: Mutator<PromiseSettledResult<Operation>[], R>,
  ): Promise<NoInfer<R>> {
    const outcomes = await waitMany(this.#context, operations, options, allSettled);
    return await applyMutator(outcomes, mutator);
  }

  /**
   * Waits until one of the operations succeeds, as `Promise.any` does:
   * resolves with the first to end in Success; rejects with an
   * `AggregateError` of every wait's error, in order, when none succeeds.
   *
   * @param operations Their ids, paths or objects, at least one.
   * @param options `timeout`, `signal`, `cancelOnAbort`, `project`, `concurrency`, `onProgress`.
   * @param mutator Applied to the first successful operation.
   * @returns The first successful operation, or the mutator's result.
   *
   * @example
   * ```ts
   * import { connect } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * const bad = daemon.createOperation({ durationMs: 5, outcome: "Failure", err: "boom" });
   * const ok = daemon.createOperation({ durationMs: 30 });
   * await using client = connect({ socket: daemon.path });
   * const first = await client.operations.waitAny([bad, ok], { timeout: 10_000 });
   * console.log(first.id === ok.id); // true
   * ```
   */
  async waitAny<R = Operation>(
    operations: readonly OperationRef[],
    options: WaitManyOptions = {},
    mutator?: Mutator<Operation, R>,
  ): Promise<NoInfer<R>> {
    const first = await waitMany(this.#context, operations, options, firstSuccess, "waitAny");
    return await applyMutator(first, mutator);
  }

  /**
   * Waits until the first of the operations is final, as `Promise.race`
   * does: resolves with it on Success, rejects as
   * {@linkcode Operations.wait} does otherwise.
   *
   * @param operations Their ids, paths or objects, at least one.
   * @param options `timeout`, `signal`, `cancelOnAbort`, `project`, `concurrency`, `onProgress`.
   * @param mutator Applied to the first final operation.
   * @returns The first final operation, or the mutator's result.
   *
   * @example
   * ```ts
   * import { connect, OperationFailedError } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * const bad = daemon.createOperation({ durationMs: 5, outcome: "Failure", err: "boom" });
   * const ok = daemon.createOperation({ durationMs: 1_000 });
   * await using client = connect({ socket: daemon.path });
   * const error = await client.operations.waitRace([bad, ok]).catch((e) => e);
   * console.log(error instanceof OperationFailedError); // true
   * ```
   */
  async waitRace<R = Operation>(
    operations: readonly OperationRef[],
    options: WaitManyOptions = {},
    mutator?: Mutator<Operation, R>,
  ): Promise<NoInfer<R>> {
    const first = await waitMany(this.#context, operations, options, firstFinal, "waitRace");
    return await applyMutator(first, mutator);
  }

  /**
   * Cancels a running operation. Resolves when the server accepted the
   * cancellation.
   *
   * @param operation Its UUID, `/1.0/operations/<uuid>` path, or an object with its `id`.
   * @param options `project`, `signal`.
   * @param mutator Applied to the result (`undefined`).
   * @returns `undefined`, or the mutator's result.
   * @throws {NotCancellableError} The operation cannot be cancelled (`may_cancel: false`) or is over.
   * @throws {OperationNotFoundError} The server does not know it.
   *
   * @example
   * ```ts
   * import { connect } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * const op = daemon.createOperation({ mayCancel: true });
   * await using client = connect({ socket: daemon.path });
   * await client.operations.cancel(op);
   * console.log(daemon.operation(op.id)?.status); // "Cancelled"
   * ```
   */
  async cancel<R = void>(
    operation: OperationRef,
    options: CallOptions = {},
    mutator?: Mutator<void, R>,
  ): Promise<NoInfer<R>> {
    await this.#context.cancel(callScope(this.#defaults, options, operationRef(operation)));
    return await applyMutator(undefined, mutator);
  }

  /**
   * Sends `DELETE /1.0/operations/<id>`: on Incus and LXD, deleting an
   * operation *cancels* it; {@linkcode Operations.cancel} under the REST
   * name, with the same errors.
   *
   * @param operation Its UUID, `/1.0/operations/<uuid>` path, or an object with its `id`.
   * @param options `project`, `signal`.
   * @param mutator Applied to the result (`undefined`).
   * @returns `undefined`, or the mutator's result.
   */
  delete<R = void>(
    operation: OperationRef,
    options: CallOptions = {},
    mutator?: Mutator<void, R>,
  ): Promise<NoInfer<R>> {
    return this.cancel(operation, options, mutator);
  }

  /**
   * Opens one of a websocket operation's sockets
   * (`/1.0/operations/<id>/websocket?secret=...`) over the client's own
   * connection, resolving once it is open (`binaryType` "arraybuffer"). The
   * secret is URL-encoded and never shown in errors. Its reads are bounded
   * as exec's: a message over `maxResponseBytes` (each fragment counting
   * 1 KiB at least), a control frame over 125 bytes fire `error` (a
   * `ProtocolError`, also in `socket.error`) and close it; so do over 4 MiB
   * of sends the daemon does not read (`bufferedAmount`; a `ConnectionError`).
   *
   * @param operation Its UUID, `/1.0/operations/<uuid>` path, or an object with its `id`.
   * @param secret One of the secrets in the operation's `metadata.fds`.
   * @param options `signal`.
   * @param mutator Applied to the open socket.
   * @returns The open `WebSocket`, or the mutator's result.
   *
   * @example
   * ```ts
   * import { connect, type Operation } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   * import { assertEquals } from "@std/assert";
   *
   * await using daemon = await FakeDaemon.start();
   * await using client = connect({ socket: daemon.path }); // a real daemon: connect()
   * // An exec waiting for its websockets (fds 0, 1, 2 and control).
   * const op = await client.query<Operation>("/1.0/instances/c1/exec", {
   *   method: "POST",
   *   body: { command: ["echo", "hi"], "wait-for-websocket": true, interactive: false },
   * });
   * const fds = op.metadata?.fds as Record<string, string>;
   * const socket = await client.operations.websocket(op, fds["control"]);
   * assertEquals(socket.readyState, WebSocket.OPEN);
   * socket.close();
   * ```
   */
  async websocket<R = WebSocket>(
    operation: OperationRef,
    secret: string,
    options: WebSocketOptions = {},
    mutator?: Mutator<WebSocket, R>,
  ): Promise<NoInfer<R>> {
    const { id } = operationRef(operation);
    const socket = await openOperationWebSocket(this.#context.transport, id, secret, options);
    return await applyMutator(socket, mutator);
  }

  /**
   * A handle on one operation: its id, last known state, and this
   * collection's calls bound to it (`wait`, `cancel`, `refresh`, `watch`,
   * `websocket`). Nothing is sent until one of them is called.
   *
   * @param idOrOperation The operation's UUID or `/1.0/operations/<uuid>`
   *   path, or the operation itself (its first known state).
   * @param options `project` (default: the operation's, else the client's).
   * @returns The handle.
   * @throws {InvalidArgumentError} Not an operation id, nor an object with one.
   *
   * @example
   * ```ts
   * import { connect } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * const op = daemon.createOperation({ durationMs: 10 });
   * await using client = connect({ socket: daemon.path });
   * const final = await client.operations.handle(op.id).wait();
   * console.log(final.status); // "Success"
   * ```
   */
  handle<O extends Operation = Operation>(
    idOrOperation: string | O,
    options: OperationHandleOptions = {},
  ): OperationHandle<O> {
    return new OperationHandle<O>(this, idOrOperation, options);
  }
}
