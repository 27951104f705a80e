/**
 * The client {@linkcode connect} returns.
 *
 * @module
 */

import { ProtocolError } from "../core/errors.ts";
import { SyncAnswerError } from "./errors.ts";
import { duration } from "../core/validate.ts";
import { applyMutator, type Mutator } from "../core/mutator.ts";
import type { Operation, OperationFor } from "./operation.ts";
import type { OperationHandle } from "./operation_handle.ts";
import { closeOperationEvents, Operations } from "./operations/mod.ts";
import type { OperationsSettings, WaitOptions } from "./operations/options.ts";
import type { ExecOutput, ExecProcess } from "./exec.ts";
import type { ExecRecordedOptions, ExecStreamOptions } from "./exec_options.ts";
import { runRecorded, startExec } from "./exec_start.ts";
import { eventsQuery, EventStream } from "./events.ts";
import type { EventBase, EventFor, EventsOptions, EventType } from "./event_types.ts";
import type { Envelope, Transport } from "./transport/transport.ts";
import { callScope, type ClientScope, scopeQuery } from "./call_scope.ts";
import { MemberWatch } from "./cluster.ts";
import type { QueryOptions, StartOperationOptions } from "./client_options.ts";
import type {
  AnswerOf,
  ApiTypes,
  AsyncMethodOf,
  BarePath,
  DefaultMethod,
  DefaultStartMethod,
  Incus60,
  KnownPath,
  MethodOf,
  OperationPath,
  ReadPath,
  TypedQueryOptions,
  TypedStartOptions,
  Unchecked,
  UncheckedPath,
} from "./typed_api.ts";
// deno-lint-ignore no-unused-vars -- for {@linkcode} in the docs
import type { connect } from "./connect.ts";
import { requestPath } from "./query_path.ts";

/**
 * A connection to one Incus or LXD daemon. Make it with {@linkcode connect};
 * close it with `close()` or `await using`.
 *
 * @example
 * ```ts
 * import { connect } from "@incusops/operations";
 * import { FakeDaemon } from "@incusops/operations/testing";
 * import { assertEquals } from "@std/assert";
 *
 * await using daemon = await FakeDaemon.start();
 * const op = daemon.createOperation();
 *
 * await using client = connect({ socket: daemon.path }); // a real daemon: connect()
 * assertEquals(client.endpoint, daemon.path);
 * assertEquals(await client.operations.list({ recursion: 0 }), [op.id]);
 * ```
 */
export class Client<A extends ApiTypes = Incus60> implements Disposable, AsyncDisposable {
  /** The operations API. */
  readonly operations: Operations;
  /** The default project of this client's calls, if set. */
  readonly project: string | undefined;
  /** The cluster member this client addresses by default, if set. */
  readonly member: string | undefined;
  readonly #transport: Transport;
  readonly #streams = new Set<EventStream<EventBase>>();
  readonly #defaults: ClientScope;

  /**
   * Made by {@linkcode connect}; not meant to be constructed directly.
   *
   * @param transport The pooled transport.
   * @param settings The default project and member, waiting knobs, clock.
   */
  constructor(transport: Transport, settings: OperationsSettings = {}) {
    this.#transport = transport;
    this.project = settings.project;
    this.member = settings.target;
    this.#defaults = { project: settings.project, member: settings.target, clock: settings.clock };
    this.operations = new Operations(transport, settings);
  }

  /** The socket path or remote URL this client talks to. */
  get endpoint(): string {
    return this.#transport.endpoint;
  }

  /**
   * The pooled `Deno.HttpClient` this client uses (for `fetch` or
   * `new WebSocket(url, { client })` on the same connection).
   */
  get httpClient(): Deno.HttpClient {
    return this.#transport.httpClient;
  }

  /**
   * Calls an API endpoint whose path is a plain `string` (not checked), or
   * with the answer's type given (`query<T>`, an unchecked claim), with a
   * mutator: resolves with what the mutator returns (`unknown` when `T` is
   * given but not `R`: annotate the mutator's parameter instead).
   *
   * @param path An API path starting with `/1.0`.
   * @param options `method`, `body`, `query`, `project`, `wait`, `timeout`, `signal`, `retry`.
   * @param mutator Applied to the answer.
   * @returns The mutator's result.
   *
   * @example
   * ```ts
   * import { connect } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * await using client = connect({ socket: daemon.path });
   * const path: string = "/1.0";
   * const version = await client.query(path, {}, (server: { api_version: string }) => server.api_version);
   * console.log(version); // "1.0"
   * ```
   */
  query<T = unknown, R = unknown, P extends string = string, O extends QueryOptions = QueryOptions>(
    path: UncheckedPath<P>,
    options: O | undefined,
    mutator: Mutator<T, R>,
  ): Promise<R>;
  /**
   * Calls an API endpoint whose path is a plain `string` (not checked), or
   * with the answer's type given (`query<T>`, an unchecked claim). It
   * resolves with a sync answer's `metadata` (`unknown` unless typed) or an
   * async answer's operation (typed {@linkcode Operation} for a write), or
   * with `wait: true` the finished operation.
   *
   * @param path An API path starting with `/1.0`.
   * @param options `method`, `body`, `query`, `project`, `wait`, `timeout`, `signal`, `retry`.
   * @returns The answer.
   *
   * @example
   * ```ts
   * import { connect } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * await using client = connect({ socket: daemon.path });
   * const server = await client.query<{ api_version: string }>("/1.0");
   * console.log(server.api_version); // "1.0"
   * ```
   */
  query<T = unknown, P extends string = string, O extends QueryOptions = QueryOptions>(
    path: UncheckedPath<P>,
    options?: O,
  ): Promise<unknown extends T ? Unchecked<O> : T>;
  /**
   * Reads a documented endpoint (`GET`), its answer typed by the client's
   * API ({@linkcode Incus60} unless `connect<Lxd50>()`): `path` is a
   * literal or template literal matching it, and a typo is a type error.
   *
   * @param path An API path, e.g. `` `/1.0/instances/${name}/state` ``.
   * @returns The answer.
   *
   * @example
   * ```ts
   * import { connect } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * await using client = connect({ socket: daemon.path });
   * const server = await client.query("/1.0");
   * console.log(server.api_version); // "1.0"
   * ```
   */
  query<const P extends string>(path: ReadPath<A, P>): Promise<AnswerOf<A, P, "GET">>;
  /**
   * Calls a documented endpoint, typed by the client's API ({@linkcode Incus60}
   * unless `connect<Lxd50>()`): `path` is a literal or template literal
   * matching it; `method` (`GET` by default), `body` and `query` are
   * checked. A sync answer resolves with its `metadata`; an operation (a
   * write's async answer, {@linkcode OperationFor} the path) with `wait:
   * true` with the finished one (rejecting as {@linkcode Operations.wait}
   * does).
   *
   * @param path An API path, e.g. `` `/1.0/instances/${name}/state` ``.
   * @param options `method`, `body`, `query`, `project`, `wait`, `timeout`, `signal`, `retry`.
   * @param mutator Applied to the answer.
   * @returns The answer, or the mutator's result.
   *
   * @example Run a command and wait for it
   * ```ts
   * import { connect } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * await using client = connect({ socket: daemon.path });
   * const op = await client.query("/1.0/instances/c1/exec", {
   *   method: "POST",
   *   body: { command: ["sleep", "0.01"], "wait-for-websocket": false },
   *   wait: true,
   * });
   * console.log(op.metadata?.return); // 0
   * ```
   */
  query<
    const P extends string,
    M extends MethodOf<A, P> = DefaultMethod<A, P>,
    R = AnswerOf<A, P, M>,
  >(
    path: KnownPath<A, P>,
    options: TypedQueryOptions<A, P, M>,
    mutator?: Mutator<AnswerOf<A, P, M>, R>,
  ): Promise<NoInfer<R>>;
  async query(
    path: string,
    typed: object = {},
    mutator?: Mutator<never, unknown>,
  ): Promise<unknown> {
    const options: QueryOptions = typed;
    const timeout = duration("timeout", options.timeout);
    const started = performance.now();
    const { envelope, project } = await this.#send(path, options, timeout);
    const answer = envelope.metadata as never;
    if (envelope.type !== "async" || !options.wait) return await applyMutator(answer, mutator);
    // `timeout` bounds the whole call: what the request left is the wait's.
    const left = timeout === undefined
      ? undefined
      : Math.max(0, timeout - (performance.now() - started));
    const waitOptions: WaitOptions = { signal: options.signal, project, timeout: left };
    const final = await this.operations.wait((answer as Operation).id, waitOptions);
    return await applyMutator(final as never, mutator);
  }

  /**
   * Starts an operation (`POST` by default) and resolves with a handle on
   * it: its id, its first state, and `wait`, `cancel`, `refresh`, `watch`,
   * `websocket` bound to it. The handle's type follows the path
   * ({@linkcode OperationFor}). A literal path must name an endpoint that
   * answers with an operation for that method, its body typed (a sync
   * endpoint is a type error); a plain `string` path is not checked.
   *
   * @param path An API path starting with `/1.0`, e.g. `/1.0/instances/c1/state`.
   * @param options `method`, `body`, `query`, `project`, `signal`.
   * @param mutator Applied to the handle.
   * @returns The handle, or the mutator's result.
   * @throws {SyncAnswerError} The server answered synchronously: it applied
   *   the write and started no operation (use {@linkcode Client.query}).
   *
   * @example
   * ```ts
   * import { connect } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * await using client = connect({ socket: daemon.path });
   * const handle = await client.startOperation("/1.0/instances/c1/exec", {
   *   body: { command: ["true"], "wait-for-websocket": false },
   * });
   * const final = await handle.wait();
   * console.log(final.metadata?.return); // 0
   * ```
   */
  startOperation<
    const P extends string,
    M extends AsyncMethodOf<A, P> = DefaultStartMethod<A, P>,
    R = OperationHandle<OperationFor<P>>,
  >(
    path: OperationPath<A, P>,
    options: TypedStartOptions<A, P, M>,
    mutator?: Mutator<OperationHandle<OperationFor<P>>, R>,
  ): Promise<NoInfer<R>>;
  /**
   * Starts an operation on a path typed as a plain `string` (not checked),
   * or on a documented `POST` that takes no body; see the other overload.
   *
   * @param path An API path starting with `/1.0`.
   * @param options `method`, `body`, `query`, `project`, `signal`.
   * @param mutator Applied to the handle.
   * @returns The handle, or the mutator's result.
   *
   * @example
   * ```ts
   * import { connect } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * await using client = connect({ socket: daemon.path });
   * const path: string = "/1.0/instances/c1/exec";
   * const handle = await client.startOperation(path, { body: { command: ["true"] } });
   * console.log((await handle.wait()).status); // "Success"
   * ```
   */
  startOperation<P extends string, R = OperationHandle<OperationFor<P>>>(
    path: BarePath<A, P>,
    options?: StartOperationOptions,
    mutator?: Mutator<OperationHandle<OperationFor<P>>, R>,
  ): Promise<NoInfer<R>>;
  async startOperation(
    path: string,
    typed: object = {},
    mutator?: Mutator<never, unknown>,
  ): Promise<unknown> {
    const options: StartOperationOptions = typed;
    const method = options.method ?? "POST";
    const { envelope, project } = await this.#send(path, { ...options, method });
    const base = path.split("?")[0];
    const init = { status: envelope.status_code, method, path: base, endpoint: this.endpoint };
    if (envelope.type !== "async") {
      throw new SyncAnswerError(
        `${method} ${base}: ${this.endpoint} applied the write and answered without an ` +
          `operation (a sync answer; do not send it again); use client.query() for this endpoint`,
        { ...init, metadata: envelope.metadata },
      );
    }
    const operation = envelope.metadata as Operation | null;
    if (operation === null || typeof operation !== "object" || typeof operation.id !== "string") {
      throw new ProtocolError(`${method} ${base}: an async answer without an operation`, init);
    }
    const handle = this.operations.handle(operation, { project: options.project ?? project });
    return await applyMutator(handle as never, mutator);
  }

  /** Checks the path, adds the project, and sends the request. */
  async #send(
    path: string,
    options: QueryOptions,
    timeout?: number,
  ): Promise<{ envelope: Envelope; project: string | undefined }> {
    const { base, query: given, project: named } = requestPath(path, options);
    // The whole call's `timeout` is not a request's limit: see query().
    const call = { ...options, project: named ?? options.project, timeout: undefined };
    const scope = callScope(this.#defaults, call);
    const { project } = scope;
    const query = scopeQuery(scope, given);
    const method = options.method ?? "GET";
    // GETs are retried under the retry policy; writes never are.
    const envelope = method === "GET" && options.body === undefined
      ? await this.#transport.get(base, query, options)
      : await this.#transport.request(method, base, {
        query,
        body: options.body,
        signal: options.signal,
        timeout: Math.min(timeout ?? Infinity, this.#transport.requestTimeout),
      });
    return { envelope, project };
  }

  /**
   * Runs a command in an instance with its stdin, stdout and stderr on the
   * operation's websockets (`wait-for-websocket` mode), like
   * `Deno.Command(...).spawn()`. `signal` kills the command (SIGKILL) and
   * closes everything; `status` then rejects with the signal's reason.
   *
   * @param instance The instance name.
   * @param command The command and its arguments.
   * @param options `stdin`, `env`, `cwd`, `user`, `group`, `interactive`, `width`, `height`, `project`, `signal`.
   * @param mutator Applied to the running process.
   * @returns The running process, or the mutator's result.
   *
   * @example Collect the output
   * ```ts
   * import { connect } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   * import { assertEquals } from "@std/assert";
   *
   * await using daemon = await FakeDaemon.start(); // instance c1, a few commands
   * await using client = connect({ socket: daemon.path }); // a real daemon: connect()
   * const run = await client.exec("c1", ["sh", "-c", "echo out; echo err >&2; exit 3"]);
   * const { exitCode, stdoutText, stderrText } = await run.output();
   * assertEquals([exitCode, stdoutText, stderrText], [3, "out\n", "err\n"]);
   * ```
   */
  async exec<R = ExecProcess>(
    instance: string,
    command: readonly string[],
    options: ExecStreamOptions = {},
    mutator?: Mutator<ExecProcess, R>,
  ): Promise<NoInfer<R>> {
    const { project } = callScope(this.#defaults, { project: options.project });
    const process = await startExec(this, this.#transport, instance, command, {
      ...options,
      project,
    });
    return await applyMutator(process, mutator);
  }

  /**
   * Runs a command without websockets, letting the server record its
   * output (`record-output` mode), waits for it, and reads the recorded
   * stdout and stderr back. The server's log files are deleted afterwards
   * unless `keepLogs` is set.
   *
   * @param instance The instance name.
   * @param command The command and its arguments.
   * @param options `env`, `cwd`, `user`, `group`, `project`, `signal`, `timeout`, `keepLogs`.
   * @param mutator Applied to the output.
   * @returns The exit code and the recorded output, or the mutator's result.
   *
   * @example
   * ```ts
   * import { connect } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   * import { assertEquals } from "@std/assert";
   *
   * await using daemon = await FakeDaemon.start();
   * await using client = connect({ socket: daemon.path }); // a real daemon: connect()
   * const { exitCode, stdoutText } = await client.execRecorded("c1", ["echo", "recorded"], {
   *   timeout: 10_000,
   * });
   * assertEquals([exitCode, stdoutText], [0, "recorded\n"]);
   * ```
   */
  async execRecorded<R = ExecOutput>(
    instance: string,
    command: readonly string[],
    options: ExecRecordedOptions = {},
    mutator?: Mutator<ExecOutput, R>,
  ): Promise<NoInfer<R>> {
    const { project } = callScope(this.#defaults, { project: options.project });
    const output = await runRecorded(this, this.#transport, instance, command, {
      ...options,
      project,
    });
    return await applyMutator(output, mutator);
  }

  /**
   * Closes the pooled connections, the shared events connection and every
   * event stream; calls in flight reject with a {@linkcode ConnectionError}.
   * Safe to call more than once. The returned promise resolves once every
   * websocket is closed (`await using` waits for it).
   *
   * @returns Resolves when everything is closed.
   *
   * @example
   * ```ts
   * import { connect, ConnectionError } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   * import { assertRejects } from "@std/assert";
   *
   * await using daemon = await FakeDaemon.start();
   * const client = connect({ socket: daemon.path });
   * try {
   *   console.log(await client.operations.list());
   * } finally {
   *   await client.close();
   * }
   * await assertRejects(() => client.operations.list(), ConnectionError); // closed
   * ```
   */
  close(): Promise<void> {
    const events = closeOperationEvents(this.operations);
    const streams = [...this.#streams].map((stream) => stream.close());
    this.#streams.clear();
    this.#transport.close();
    return Promise.all([events, ...streams]).then(() => {});
  }

  /**
   * Same as {@linkcode Client.close}, for `using` (which cannot wait for
   * websockets to finish closing: prefer `await using`).
   */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Same as {@linkcode Client.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * The daemon's event stream (`/1.0/events`) as an async iterator of typed
   * events, on this client's own connection. It subscribes at once
   * (`await stream.opened` before starting what you want to observe), ends
   * cleanly when `signal` aborts or on `break`, and throws a
   * {@linkcode ConnectionError} if the daemon drops it. Its events narrow
   * on `type` ({@linkcode IncusEvent}); `types` sets the element type
   * (`["lifecycle"]`: {@linkcode LifecycleEvent}s).
   *
   * @typeParam T The event types asked for (inferred from `types`).
   * @param options `types` (e.g. `["operation", "lifecycle"]`), `project`, `allProjects`, `signal`.
   * @returns The stream.
   *
   * @example
   * ```ts
   * import { connect } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * await using client = connect({ socket: daemon.path });
   * const controller = new AbortController();
   * const events = client.events({ types: ["lifecycle"], signal: controller.signal });
   * await events.opened;
   * daemon.emitEvent("lifecycle", { action: "instance-started", source: "/1.0/instances/c1" });
   * for await (const event of events) {
   *   console.log(event.metadata.action, event.metadata.source); // "instance-started" "/1.0/instances/c1"
   *   controller.abort();
   * }
   * ```
   */
  events<const T extends readonly EventType[] = readonly EventType[]>(
    options: EventsOptions<T> = {},
  ): EventStream<EventFor<T[number]>> {
    const scope = callScope(this.#defaults, { project: options.project, target: options.target });
    const query = eventsQuery(options, scope.project);
    const stream = new EventStream<EventFor<T[number]>>(
      this.#transport,
      query,
      options.signal,
      () => this.#streams.delete(stream),
      options,
      scope.member,
      (member) => new MemberWatch(this.#transport).known(member, [], options.signal),
    );
    this.#streams.add(stream);
    return stream;
  }
}
