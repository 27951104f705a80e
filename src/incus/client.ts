/**
 * `connect()` and the client it returns.
 *
 * @module
 */

import { InvalidArgumentError, ProtocolError } from "../core/errors.ts";
// deno-lint-ignore no-unused-vars -- for {@linkcode} in the docs
import type { AuthenticationError } from "./errors.ts";
import { describeValue, duration } from "../core/validate.ts";
import { applyMutator, type Mutator } from "../core/mutator.ts";
import type { Operation, OperationFor } from "./operation.ts";
import type { OperationHandle } from "./operation_handle.ts";
import { Operations } from "./operations/mod.ts";
import type { CallOptions, OperationsSettings, WaitOptions } from "./operations/options.ts";
import { resolveRetry, type RetryOption } from "../core/retry.ts";
import { INCUS_RETRY } from "./transport/transient.ts";
import {
  attachExec,
  execBody,
  type ExecOptions,
  type ExecOutput,
  execOutput,
  type ExecProcess,
  execStatus,
  type ExecStreamOptions,
  instanceName,
} from "./exec.ts";
import {
  type EventBase,
  type EventFor,
  type EventsOptions,
  eventsQuery,
  EventStream,
  type EventType,
} from "./events.ts";
import type { HubSettings } from "./operations/event_hub.ts";
import { IdempotentRequests } from "./transport/idempotent.ts";
import { withProject } from "./project.ts";
import { resolveSocket } from "./transport/socket.ts";
import type { ConnectionTarget } from "./transport/target.ts";
import { type Envelope, Transport } from "./transport/transport.ts";
import { memberName } from "./cluster.ts";
import { memberOrigins } from "./transport/failover.ts";

/** Options of {@linkcode connect}. */
export interface ConnectOptions extends Omit<ConnectionTarget, "url"> {
  /**
   * `https://host:8443` of a remote daemon (instead of a socket); or, for a
   * cluster, several members' URLs: the client uses the first, learns the
   * other members from `/1.0/cluster/members`, and when the member in use
   * stops answering moves its requests (a GET is sent again there; a write
   * is not) and its events connection to another member. The certificates
   * apply to every member (trust is cluster-wide).
   */
  url?: string | readonly string[];
  /**
   * Path of the daemon's Unix socket, used alone. Default: the one named by
   * `INCUS_SOCKET` or `$INCUS_DIR/unix.socket`, `LXD_SOCKET` or
   * `$LXD_DIR/unix.socket` (used alone too: refused when missing or not a
   * socket, and when an Incus and an LXD variable disagree); only when none
   * is set, the first socket found of {@linkcode socketCandidates}.
   *
   * @default {undefined} (the socket the variables name, else the search)
   */
  socket?: string;
  /**
   * Default project of every call.
   *
   * @default {undefined} (the server's default project)
   */
  project?: string;
  /**
   * Longest time one HTTP request may take, ms.
   *
   * @default {60_000}
   */
  requestTimeout?: number;
  /**
   * Largest response body accepted, bytes (64 MiB). A chunked answer (no
   * `content-length`: Incus and LXD send lists over 4 KiB so) is read piece
   * by piece to be capped; `Infinity` lifts the cap and takes Deno's
   * one-call read (cheaper, see README's Performance section).
   *
   * @default {67_108_864}
   */
  maxResponseBytes?: number;
  /**
   * Longest server-side `/wait` slice of a wait, ms (whole seconds, at least
   * 1 s). Shorter slices notice a dead daemon sooner.
   *
   * @default {30_000}
   */
  waitSliceMs?: number;
  /**
   * Retry policy of idempotent calls (GET and `/wait`; never POST, PUT,
   * PATCH or DELETE): api_core's backoff (100 ms, ×1.3, at most 60 s
   * between attempts, full jitter) with a 60 s budget, on refused or reset
   * connections, a socket that vanished after answering (a restarting
   * daemon), unanswered requests and HTTP 502/503/504. Fields given here
   * replace those defaults; `false` turns retrying off. Calls take a
   * `retry` option too.
   *
   * @default {undefined} (the policy above)
   */
  retry?: RetryOption;
  /**
   * Wait on one shared `/1.0/events` connection, falling back to `/wait`
   * long-polls when events are unavailable; `false` uses `/wait` long-polls
   * only. An object keeps events on and tunes the shared connection
   * (`silenceMs`, `idleMs`, `reconnectForMs`, `unavailableForMs`,
   * `settleMs`, `resyncMs`: see {@linkcode HubSettings}).
   *
   * @default {true}
   */
  events?: boolean | Partial<HubSettings>;
  /**
   * On a cluster: the member this client's work goes to by default
   * (`target=` of {@linkcode Client.query}, e.g. where a new instance is
   * placed), and whose operations and events lists and `events()` keep.
   * Calls take a `target` too. Default: none (the daemon decides; every
   * member's operations and events).
   */
  target?: string;
  /**
   * On a cluster: how long a wait keeps looking while the member running
   * its operation cannot be reached (e.g. restarts) before rejecting with
   * `MemberUnreachableError`, ms. Waits take `memberGraceMs` too.
   *
   * @default {60_000}
   */
  memberGraceMs?: number;
}

/**
 * The HTTP methods that change something, and may start an operation.
 *
 * @example
 * ```ts
 * import type { WriteMethod } from "@incusops/operations";
 *
 * const method: WriteMethod = "PUT";
 * console.log(method);
 * ```
 */
export type WriteMethod = "POST" | "PUT" | "PATCH" | "DELETE";

/** Options of {@linkcode Client.query}. */
export interface QueryOptions extends CallOptions {
  /**
   * HTTP method. A write (`POST`, `PUT`, `PATCH`, `DELETE`) resolves with
   * the operation it started, typed as one.
   *
   * @default {"GET"}
   */
  method?: "GET" | WriteMethod;
  /** JSON body. */
  body?: unknown;
  /** Extra query parameters. */
  query?: Record<string, string>;
  /**
   * For an async answer: wait for the operation and resolve with the final one.
   *
   * @default {false}
   */
  wait?: boolean;
  /**
   * Limit of the whole call in ms: the request (within `requestTimeout`)
   * and, with `wait`, the wait for the operation.
   *
   * @default {undefined} (no limit)
   */
  timeout?: number;
  /**
   * On a cluster: the member to address (`?target=`), e.g. where to create
   * an instance (default: the client's `target`). Requests about an
   * existing instance or operation go to its member whatever the target.
   */
  target?: string;
}

/** Options of {@linkcode Client.startOperation}. */
export interface StartOperationOptions extends CallOptions {
  /**
   * HTTP method.
   *
   * @default {"POST"}
   */
  method?: WriteMethod;
  /** JSON body. */
  body?: unknown;
  /** Extra query parameters. */
  query?: Record<string, string>;
}

/** Characters and sequences a query path may not hold. */
// deno-lint-ignore no-control-regex -- control characters are what it refuses
const BAD_PATH = /[\s#\\\u0000-\u001f\u007f]|%(?:2e|2f|5c|00|23|3f)|(?:^|\/)\.\.?(?:\/|$|\?)/i;

/**
 * Splits a query path into its base and its query (URLSearchParams
 * semantics), merges `options.query` and adds the project unless the query
 * names one. Throws {@linkcode InvalidArgumentError} for what is ambiguous:
 * a second `?`, a parameter both in the path and in `options.query`, or a
 * `project` in the path that differs from `options.project`.
 */
function splitQuery(
  path: string,
  options: QueryOptions,
  clientProject: string | undefined,
): { base: string; query: string; project: string | undefined } {
  const mark = path.indexOf("?");
  const base = mark < 0 ? path : path.slice(0, mark);
  const inline = mark < 0 ? "" : path.slice(mark + 1);
  const refuse = (why: string) =>
    new InvalidArgumentError(`ambiguous API path ${describeValue(path)}: ${why}`);
  if (inline.includes("?")) throw refuse(`a second "?" (encode it as %3F inside a value)`);
  const params = new URLSearchParams(inline);
  for (const [key, value] of Object.entries(options.query ?? {})) {
    if (params.has(key)) throw refuse(`"${key}" is both in the path and in options.query`);
    params.append(key, value);
  }
  const named = params.getAll("project");
  if (named.length > 1) throw refuse(`"project" given ${named.length} times`);
  if (named.length === 1) {
    if (options.project !== undefined && options.project !== named[0]) {
      throw refuse(`its project "${named[0]}" differs from options.project "${options.project}"`);
    }
    return { base, query: params.toString(), project: named[0] };
  }
  const project = options.project ?? clientProject;
  if (project !== undefined) params.set("project", project);
  return { base, query: params.toString(), project };
}

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
 * assertEquals(client.target, daemon.path);
 * assertEquals(await client.operations.list({ recursion: 0 }), [op.id]);
 * ```
 */
export class Client implements Disposable, AsyncDisposable {
  /** The operations API. */
  readonly operations: Operations;
  /** The default project of this client's calls, if set. */
  readonly project: string | undefined;
  /** The cluster member this client addresses by default, if set. */
  readonly member: string | undefined;
  readonly #transport: Transport;
  readonly #streams = new Set<EventStream<EventBase>>();
  readonly #requests: IdempotentRequests;

  /**
   * Made by {@linkcode connect}; not meant to be constructed directly.
   *
   * @param transport The pooled transport.
   * @param settings The default project, waiting knobs and retry policy.
   */
  constructor(transport: Transport, settings: OperationsSettings = {}) {
    this.#transport = transport;
    this.project = settings.project;
    this.member = settings.target;
    this.#requests = new IdempotentRequests(transport, settings.retry);
    this.operations = new Operations(transport, settings, this.#requests);
  }

  /** The socket path or remote URL this client talks to. */
  get target(): string {
    return this.#transport.target;
  }

  /**
   * The pooled `Deno.HttpClient` this client uses (for `fetch` or
   * `new WebSocket(url, { client })` on the same connection).
   */
  get httpClient(): Deno.HttpClient {
    return this.#transport.httpClient;
  }

  /**
   * Calls any API endpoint with a write method (`POST`, `PUT`, `PATCH`,
   * `DELETE`). An async answer resolves with the operation it started, or
   * with `wait: true` with the finished operation (rejecting as
   * {@linkcode Operations.wait} does); its type follows the path
   * ({@linkcode OperationFor}: an {@linkcode ExecOperation} for `/exec`).
   * A sync answer resolves with its `metadata`: type it with the other
   * overload (`query<T>`), or use {@linkcode Client.startOperation}, which
   * insists on an operation.
   *
   * @param path An API path starting with `/1.0`, e.g. `/1.0/instances/c1/exec`.
   * @param options `method`, `body`, `query`, `project`, `wait`, `timeout`, `signal`.
   * @param mutator Applied to the operation.
   * @returns The operation (the final one with `wait`), or the mutator's result.
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
   * const code: number | undefined = op.metadata?.return;
   * console.log(code); // 0
   * ```
   */
  query<P extends string, R = OperationFor<P>>(
    path: P,
    options: QueryOptions & { method: WriteMethod },
    mutator?: Mutator<OperationFor<P>, R>,
  ): Promise<R>;
  /**
   * Calls any API endpoint with a write method, the answer typed `T`
   * (default {@linkcode Operation}; a sync answer resolves with its
   * `metadata`, so give its type).
   *
   * @param path An API path starting with `/1.0`.
   * @param options `method`, `body`, `query`, `project`, `wait`, `timeout`, `signal`.
   * @param mutator Applied to the answer.
   * @returns The answer, or the mutator's result.
   *
   * @example A sync write
   * ```ts
   * import { connect } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * // The fake has no projects API: answer this one request as Incus does.
   * daemon.interceptor = (request, url) =>
   *   request.method === "POST" && url.pathname === "/1.0/projects"
   *     ? Response.json({ type: "sync", status: "Success", status_code: 200, metadata: {} })
   *     : undefined;
   * await using client = connect({ socket: daemon.path }); // a real daemon: connect()
   * await client.query<Record<string, never>>("/1.0/projects", {
   *   method: "POST",
   *   body: { name: "p1" },
   * });
   * ```
   */
  query<T = Operation, R = T>(
    path: string,
    options: QueryOptions & { method: WriteMethod },
    mutator?: Mutator<T, R>,
  ): Promise<R>;
  /**
   * Reads any API endpoint (`GET`): resolves with the answer's `metadata`,
   * `unknown` unless typed with `T` (an unchecked claim about the server's
   * answer).
   *
   * @param path An API path starting with `/1.0`, e.g. `/1.0/instances`.
   * @param options `query`, `project`, `signal`, `retry`.
   * @param mutator Applied to the metadata.
   * @returns The metadata, or the mutator's result.
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
  query<T = unknown, R = T>(
    path: string,
    options?: QueryOptions & { method?: "GET" },
    mutator?: Mutator<T, R>,
  ): Promise<R>;
  /**
   * Calls any API endpoint, the method known only at run time: resolves
   * with a sync answer's `metadata` or an async answer's operation, typed
   * `T` (`unknown` unless given).
   *
   * @param path An API path starting with `/1.0`.
   * @param options `method`, `body`, `query`, `project`, `wait`, `timeout`, `signal`.
   * @param mutator Applied to the answer.
   * @returns The answer, or the mutator's result.
   *
   * @example
   * ```ts
   * import { connect, type QueryOptions } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * await using client = connect({ socket: daemon.path });
   * const options: QueryOptions = { method: "GET" };
   * console.log(await client.query("/1.0", options));
   * ```
   */
  query<T = unknown, R = T>(
    path: string,
    options?: QueryOptions,
    mutator?: Mutator<T, R>,
  ): Promise<R>;
  async query<T, R>(
    path: string,
    options: QueryOptions = {},
    mutator?: Mutator<T, R>,
  ): Promise<R> {
    const timeout = duration("timeout", options.timeout);
    const started = performance.now();
    const { envelope, project } = await this.#send(path, options, timeout);
    if (envelope.type !== "async") return await applyMutator(envelope.metadata as T, mutator);
    const operation = envelope.metadata as Operation;
    if (!options.wait) return await applyMutator(operation as T, mutator);
    // `timeout` bounds the whole call: what the request left is the wait's.
    const left = timeout === undefined
      ? undefined
      : Math.max(0, timeout - (performance.now() - started));
    const waitOptions: WaitOptions = { signal: options.signal, project, timeout: left };
    const final = await this.operations.wait(operation.id, waitOptions);
    return await applyMutator(final as T, mutator);
  }

  /**
   * Starts an operation (`POST` by default) and resolves with a handle on
   * it: its id, its first state, and `wait`, `cancel`, `refresh`, `watch`,
   * `websocket` bound to it. The handle's type follows the path
   * ({@linkcode OperationFor}).
   *
   * @param path An API path starting with `/1.0`, e.g. `/1.0/instances/c1/state`.
   * @param options `method`, `body`, `query`, `project`, `signal`.
   * @param mutator Applied to the handle.
   * @returns The handle, or the mutator's result.
   * @throws {ProtocolError} The server answered synchronously: it started no
   *   operation (use {@linkcode Client.query} for that endpoint).
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
  async startOperation<P extends string, R = OperationHandle<OperationFor<P>>>(
    path: P,
    options: StartOperationOptions = {},
    mutator?: Mutator<OperationHandle<OperationFor<P>>, R>,
  ): Promise<R> {
    const method = options.method ?? "POST";
    const { envelope, project } = await this.#send(path, { ...options, method });
    const operation = envelope.metadata as OperationFor<P> | null;
    if (
      envelope.type !== "async" || operation === null || typeof operation !== "object" ||
      typeof operation.id !== "string"
    ) {
      throw new ProtocolError(
        `${method} ${path.split("?")[0]}: ${this.target} answered without starting an ` +
          `operation (a sync answer); use client.query() for this endpoint`,
        { status: 0, method, path: path.split("?")[0], target: this.target },
      );
    }
    const handle = this.operations.handle(operation, { project: options.project ?? project });
    return await applyMutator(handle, mutator);
  }

  /** Checks the path, adds the project, and sends the request. */
  async #send(
    path: string,
    options: QueryOptions,
    timeout?: number,
  ): Promise<{ envelope: Envelope; project: string | undefined }> {
    if (typeof path !== "string" || !/^\/1\.0(?:[/?]|$)/.test(path) || BAD_PATH.test(path)) {
      throw new InvalidArgumentError(
        `invalid API path ${describeValue(path)}: expected a path such as "/1.0/instances", ` +
          `without "..", "#", white space or encoded separators`,
      );
    }
    const split = splitQuery(path, options, this.project);
    const { base, project } = split;
    let query = split.query;
    const target = memberName(options.target) ?? this.member;
    if (target !== undefined && !new URLSearchParams(query).has("target")) {
      query = `${query}${query ? "&" : ""}target=${encodeURIComponent(target)}`;
    }
    const method = options.method ?? "GET";
    // GETs are retried under the retry policy; writes never are.
    const envelope = method === "GET" && options.body === undefined
      ? await this.#requests.get(base, query, options)
      : await this.#transport.request(method, base, {
        query,
        body: options.body,
        signal: options.signal,
        timeout: timeout === undefined
          ? undefined
          : Math.min(timeout, this.#transport.requestTimeout),
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
  ): Promise<R> {
    const name = instanceName(instance);
    const body = execBody(command, options, { waitForWebsocket: true, recordOutput: false });
    const { signal } = options;
    const project = options.project ?? this.project;
    const started = await this.query<Operation>(`/1.0/instances/${name}/exec`, {
      method: "POST",
      body,
      project,
      signal,
    });
    const process = await attachExec(this.#transport, started, {
      stdin: options.stdin,
      signal,
      wait: () => this.operations.wait(started.id, { project, signal }),
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
    options: ExecOptions & { timeout?: number; keepLogs?: boolean } = {},
    mutator?: Mutator<ExecOutput, R>,
  ): Promise<R> {
    const name = instanceName(instance);
    const body = execBody(command, options, { waitForWebsocket: false, recordOutput: true });
    const project = options.project ?? this.project;
    const timeout = duration("timeout", options.timeout);
    const started = performance.now();
    const final = await this.query<Operation>(`/1.0/instances/${name}/exec`, {
      method: "POST",
      body,
      project,
      signal: options.signal,
      wait: true,
      timeout,
    });
    // `timeout` bounds the whole call, the reading of the logs included.
    const left = () =>
      timeout === undefined ? undefined : Math.min(
        Math.max(0, timeout - (performance.now() - started)),
        this.#transport.requestTimeout,
      );
    const logs = (final.metadata?.output ?? {}) as Record<string, string>;
    const logDir = `/1.0/instances/${name}/logs/`;
    const read = async (fd: string): Promise<Uint8Array> => {
      const path = logs[fd];
      if (path === undefined) return new Uint8Array();
      // Only a log file of this instance, never another path the answer names.
      const file = path.startsWith(logDir) ? path.slice(logDir.length) : "";
      if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)?$/.test(file) || file.includes("..")) {
        throw new ProtocolError(
          `exec operation ${final.id}: unexpected log path ${JSON.stringify(path)} from ` +
            `${this.#transport.target} (not read)`,
          { status: 200, method: "GET", path: `/1.0/operations/${final.id}`, target: this.target },
        );
      }
      const query = withProject(undefined, project);
      const bytes = await this.#transport.requestBytes("GET", path, {
        query,
        signal: options.signal,
        timeout: left(),
      });
      if (!options.keepLogs) {
        await this.#transport.request("DELETE", path, { query }).catch(() => {});
      }
      return bytes;
    };
    const [stdout, stderr] = [await read("1"), await read("2")];
    return await applyMutator(execOutput(execStatus(final), stdout, stderr), mutator);
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
    const events = this.operations.closeEvents();
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
    const query = eventsQuery(options, this.project);
    const stream = new EventStream<EventFor<T[number]>>(
      this.#transport,
      query,
      options.signal,
      () => this.#streams.delete(stream),
      options.maxQueued,
      memberName(options.target) ?? this.member,
    );
    this.#streams.add(stream);
    return stream;
  }
}

/** How connectRemote names the remote and the fix in authentication errors (not public). */
const AUTH_CONTEXT = Symbol("authContext");
interface InternalAuthOptions {
  [AUTH_CONTEXT]?: { remoteName: string; authHint: string };
}

/**
 * Connects to an Incus or LXD daemon: over its Unix socket (`socket`, or the
 * first found of {@linkcode socketCandidates}), or to a remote over HTTPS with
 * a client certificate (`url`, `cert`, `key`, and `ca` or `serverCert`)
 * and/or a bearer token (`token` or `getToken`; a refused token throws
 * {@linkcode AuthenticationError}); {@linkcode connectRemote} for the remotes
 * of `config.yml`. Nothing is sent until the first call. A pinned
 * `serverCert` (or `ca`) is trusted in addition to Deno's root store, not
 * instead of it (Deno 2.9 has no client without the default roots): keep
 * that store to CAs you trust for the remote's name. Redirects are never
 * followed.
 *
 * The socket: `socket` as given; else the one `INCUS_SOCKET` or
 * `$INCUS_DIR/unix.socket` names, or `LXD_SOCKET` or `$LXD_DIR/unix.socket`
 * (checked at once: it must exist and be a socket; no other is tried; an
 * Incus and an LXD variable naming different sockets are refused as
 * ambiguous); only when none is set, the first socket found of
 * {@linkcode socketCandidates}.
 *
 * Deno permissions for a socket: `--allow-read=<path> --allow-write=<path>
 * --allow-net=unix:<path>,127.0.0.1:80` (requests name the host 127.0.0.1 but
 * go over the socket), and, without `socket`,
 * `--allow-env=INCUS_SOCKET,INCUS_DIR,LXD_SOCKET,LXD_DIR` (the variables are
 * never skipped: unreadable, they are an error naming the flag).
 *
 * What `connect()` checks at once, before returning (nothing is sent):
 * its options (a bad duration, retry policy, `maxResponseBytes` or a URL
 * that is not `https:` throws {@linkcode InvalidArgumentError}); which
 * socket to use, and that it exists and is a socket (else a
 * {@linkcode ConnectionError} naming the path, the variable that named it and
 * the fix); the Deno permission to read the socket variables. What it cannot
 * check without a request (the daemon is up, the user may open the socket,
 * the server's certificate) fails the first call with a `ConnectionError`
 * naming the path or URL and the fix.
 *
 * @param options Where and how to connect.
 * @returns A client; close it, or use `await using`.
 * @throws {ConnectionError} The socket a variable names is missing or not a
 * socket; the variables disagree or may not be read; none was named and none
 * of the usual paths is a socket. The message names the path and the fix.
 * @throws {InvalidArgumentError} A bad option; nothing was sent.
 *
 * @example Local daemon (here the fake one)
 * ```ts
 * import { connect } from "@incusops/operations";
 * import { FakeDaemon } from "@incusops/operations/testing";
 * import { assertEquals } from "@std/assert";
 *
 * await using daemon = await FakeDaemon.start();
 * daemon.createOperation();
 * await using client = connect({ socket: daemon.path }); // or connect(): INCUS_SOCKET, ...
 * assertEquals((await client.operations.list()).length, 1);
 * ```
 *
 * @example Remote daemon: nothing is sent until the first call
 * ```ts
 * import { connect, InvalidArgumentError } from "@incusops/operations";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * // With its files: connect({ url, cert: await Deno.readTextFile("client.crt"),
 * //   key: await Deno.readTextFile("client.key"), serverCert: await Deno.readTextFile(...) })
 * await using client = connect({ url: "https://incus.example.net:8443" });
 * assertEquals(client.target, "https://incus.example.net:8443");
 * assertThrows(() => connect({ url: "http://incus.example.net:8443" }), InvalidArgumentError);
 * ```
 */
export function connect(options: ConnectOptions = {}): Client {
  if ((options as { remote?: unknown } | undefined)?.remote !== undefined) {
    throw new InvalidArgumentError(
      "connect({ remote }) is now await connectRemote(remote, options): config.yml is read " +
        "asynchronously",
    );
  }
  const requestTimeout = duration("requestTimeout", options.requestTimeout);
  const waitSliceMs = duration("waitSliceMs", options.waitSliceMs);
  // A bad policy throws here, before a connection exists.
  resolveRetry({ ...INCUS_RETRY, predicate: () => false }, options.retry);
  const settings: OperationsSettings = {
    project: options.project,
    tuning: {
      ...(waitSliceMs === undefined ? {} : { maxSliceMs: waitSliceMs }),
      ...(options.events === undefined
        ? {}
        : typeof options.events === "object"
        ? { events: true, hub: options.events }
        : { events: options.events }),
    },
    retry: options.retry,
    memberGraceMs: duration("memberGraceMs", options.memberGraceMs),
    target: memberName(options.target),
  };
  const maxResponseBytes = options.maxResponseBytes;
  if (
    maxResponseBytes !== undefined &&
    (typeof maxResponseBytes !== "number" || !(maxResponseBytes >= 1))
  ) {
    throw new InvalidArgumentError(
      `invalid maxResponseBytes ${
        describeValue(maxResponseBytes)
      }: expected a number of bytes >= 1, or Infinity`,
    );
  }
  const common = {
    requestTimeout,
    maxResponseBytes,
    token: options.token,
    getToken: options.getToken,
    ...(options as InternalAuthOptions)[AUTH_CONTEXT],
  };
  if (options.url !== undefined) {
    const ca = options.serverCert ?? options.ca;
    const urls = Array.isArray(options.url) ? memberOrigins(options.url) : undefined;
    const transport = new Transport({
      ...common,
      url: urls?.[0] ?? options.url as string,
      members: urls?.slice(1),
      cert: options.cert,
      key: options.key,
      ca,
    });
    return new Client(transport, settings);
  }
  const { path: socket } = resolveSocket({ socket: options.socket });
  return new Client(new Transport({ ...common, socket }), settings);
}

/**
 * Connects to a remote of the incus/lxc command line's `config.yml`
 * (`INCUS_CONF` alone when set, else `~/.config/incus`, then
 * `~/.config/lxc`): its address, client certificate
 * (`client.crt`/`client.key` or `clientcerts/<remote>.*`), pinned
 * `servercerts/<remote>.crt` and project. `local` is always the local
 * socket (resolved as {@linkcode connect} does). A remote with
 * `auth_type: oidc` uses the incus CLI's `oidctokens/<remote>.json`,
 * refreshed at the issuer and written back (mode 0600) when expired or
 * refused; without usable tokens, an {@linkcode AuthenticationError} says
 * to log in with the incus CLI first. Options given override the remote's.
 * Deno permissions: `--allow-env=INCUS_CONF,HOME` and
 * `--allow-read` of the config folder, besides the connection's own.
 *
 * @param remote The remote's name. Default: the config's `default-remote`
 * (`local` when there is no config).
 * @param options Overrides of what the remote says, and the client's settings.
 * @returns A client; close it, or use `await using`.
 * @throws {ConnectionError} The remote is unknown, an image server, lacks
 * a client certificate, or config.yml cannot be read (not permitted, not a
 * regular file, too large, not YAML): the message names it and the fix.
 *
 * @example
 * ```ts
 * import { connectRemote } from "@incusops/operations";
 * import { FakeDaemon } from "@incusops/operations/testing";
 *
 * await using daemon = await FakeDaemon.start();
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(
 *   `${dir}/config.yml`,
 *   `remotes:\n  fake:\n    addr: unix://${daemon.path}\n`,
 * );
 * Deno.env.set("INCUS_CONF", dir);
 * await using client = await connectRemote("fake");
 * console.log(await client.operations.list()); // []
 * Deno.env.delete("INCUS_CONF");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function connectRemote(
  remote?: string,
  options: ConnectOptions = {},
): Promise<Client> {
  // Loaded only here: a socket or URL client never reads config.yml (nor loads @std/yaml).
  const { resolveRemote } = await import("./transport/remote.ts");
  const { name, oidcConfigDir, ...resolved } = await resolveRemote(remote);
  const given = Object.fromEntries(
    Object.entries(options).filter(([key, value]) => key !== "remote" && value !== undefined),
  );
  const merged: ConnectOptions & InternalAuthOptions = { ...resolved, ...given };
  if (oidcConfigDir !== undefined && merged.token === undefined && merged.getToken === undefined) {
    const { oidcTokenSource } = await import("./transport/oidc_tokens.ts");
    merged.getToken = oidcTokenSource(oidcConfigDir, name);
    merged[AUTH_CONTEXT] = {
      remoteName: name,
      authHint: `log in again with the incus CLI (any command on the remote, e.g. ` +
        `"incus info ${name}:", opens the OIDC login)`,
    };
  }
  return connect(merged);
}
