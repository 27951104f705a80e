/**
 * An in-process fake Incus/LXD daemon on a temporary Unix socket, with real
 * operation semantics, for testing automation without a daemon.
 *
 * @module
 */

import type { Operation } from "../../mod.ts";
import { StatusCode, statusCodeOf } from "../../mod.ts";
import { closeWebSocket } from "../core/websocket.ts";
import { parseJson } from "../core/body.ts";
import { type BodyLimits, BodyRefused, readBody } from "./request_body.ts";
import { BUILTIN_COMMANDS, type FakeCommand } from "./fake_commands.ts";
import {
  execEnvironment,
  execLogPaths,
  type ExecRequest,
  ExecSession,
  type FakeProcess,
  newSecret,
  runTask,
  type WebSocketEndpoints,
} from "./fake_exec.ts";

/** Which daemon's `/wait` answers the fake imitates. */
export type WaitFlavor = "incus" | "lxd";

/** Options of {@linkcode FakeDaemon.start}. */
export interface FakeDaemonOptions extends BodyLimits {
  /** Socket path (default: `unix.socket` in a new temporary directory). */
  path?: string;
  /** How long finished operations stay visible, ms (default 5000, like the daemons). */
  retentionMs?: number;
  /**
   * `incus` (default): a `/wait` slice that runs out answers an error
   * "context deadline exceeded", and a failed operation's `/wait` answers an
   * error holding its `err`. `lxd`: both answer 200 with the operation, and
   * `all-projects` is ignored on operation lists (as LXD 5.0 does).
   */
  flavor?: WaitFlavor;
  /**
   * Demand `authorization: Bearer <bearerToken>` on every request and
   * websocket, as Incus with OIDC does: any other answers HTTP 401 naming
   * the issuer `https://issuer.fake.invalid` in `X-Incus-OIDC-Issuer`.
   *
   * @default {undefined} (no check)
   */
  bearerToken?: string;
  /**
   * The instances exec can run in.
   *
   * @default {[{ name: "c1" }]} (one running instance `c1` in the default project)
   */
  instances?: FakeInstance[];
  /**
   * Scripted commands, by name, over the built-in set (`echo`, `cat`,
   * `sh`, `sleep`, `true`, `false`, `uname`, `pwd`, `stty`); see
   * {@linkcode FakeCommand}.
   */
  commands?: Record<string, FakeCommand>;
  /**
   * How long an exec's client has to connect its websockets before the
   * operation fails with "Timed out waiting for websockets to connect", ms.
   *
   * @default {5000} (as Incus 6.0 and LXD 5.0)
   */
  websocketConnectMs?: number;
  /**
   * How long creating, starting, stopping or deleting an instance takes
   * (`POST /1.0/instances`, `PUT /1.0/instances/<name>/state`, `DELETE`), ms.
   *
   * @default {50}
   */
  instanceOperationMs?: number;
}

/** An instance of the fake daemon (for exec). */
export interface FakeInstance {
  /** Its name. */
  name: string;
  /**
   * Its project.
   *
   * @default {"default"}
   */
  project?: string;
  /**
   * Its state: exec answers 400 "Instance is not running" when stopped and
   * "Instance is frozen" when frozen.
   *
   * @default {"Running"}
   */
  status?: "Running" | "Stopped" | "Frozen";
}

/** What to create with {@linkcode FakeDaemon.createOperation}. */
export interface OperationSpec {
  /** Description (default "Executing command"). */
  description?: string;
  /** Class (default `task`). */
  class?: Operation["class"];
  /** Whether `DELETE` may cancel it (default `false`). */
  mayCancel?: boolean;
  /** Resources (default `{}`). */
  resources?: Record<string, string[]>;
  /** Metadata (default `{}`). */
  metadata?: Record<string, unknown> | null;
  /**
   * Makes it a `websocket` operation with these sockets: a secret for each
   * name goes into `metadata.fds`, and the function is called with the
   * server side of the socket once a client connects to
   * `/1.0/operations/<id>/websocket?secret=…` (`client.operations.websocket()`).
   */
  websockets?: Record<string, (socket: WebSocket) => void>;
  /** Project (default `"default"`). */
  project?: string;
  /** Finish it on its own after this many ms. */
  durationMs?: number;
  /** How it finishes after `durationMs` (default `Success`). */
  outcome?: "Success" | "Failure";
  /** The `err` of a failure. */
  err?: string;
  /** Metadata merged in when it finishes on its own. */
  finalMetadata?: Record<string, unknown>;
}

/** How to finish an operation with {@linkcode FakeDaemon.finish}. */
export interface FinishSpec {
  /** Final status. */
  status: "Success" | "Failure" | "Cancelled";
  /** Error text (Failure). */
  err?: string;
  /** Metadata to merge in. */
  metadata?: Record<string, unknown>;
}

/** One request the fake received. */
export interface RecordedRequest {
  /** HTTP method. */
  method: string;
  /** Path, as received (not decoded). */
  path: string;
  /** Query string, with its `?`, or "". */
  search: string;
}

/**
 * Replaces the fake's answer to a request: return a `Response` to send it,
 * or `undefined` to let the fake answer as usual. For fault injection.
 */
export type RequestInterceptor = (
  request: Request,
  url: URL,
) => Response | undefined | Promise<Response | undefined>;

/**
 * How the fake serves `/1.0/events`: `"on"` (default) sends every event,
 * `"refuse"` answers 403 (events unavailable, as for a restricted client),
 * `"silent"` accepts the websocket but sends nothing.
 */
export type EventsMode = "on" | "refuse" | "silent";

interface EventListener {
  socket: WebSocket;
  types: Set<string> | undefined;
  project: string | undefined;
}

interface Entry {
  op: Operation;
  finished: PromiseWithResolvers<void>;
  timers: ReturnType<typeof setTimeout>[];
  websockets?: WebSocketEndpoints;
}

const OPERATION_PATH = /^\/1\.0\/operations\/([^/]+)(\/wait|\/websocket)?$/;
const INSTANCE_PATH = /^\/1\.0\/instances\/([^/]+)(\/exec|\/state|\/logs(?:\/.*)?)?$/;

/** `PUT /1.0/instances/<name>/state` actions: description, state needed, state after. */
type InstanceStatus = NonNullable<FakeInstance["status"]>;
const ACTIONS: Record<string, [string, InstanceStatus | undefined, InstanceStatus]> = {
  start: ["Starting instance", "Stopped", "Running"],
  stop: ["Stopping instance", undefined, "Stopped"],
  restart: ["Restarting instance", "Running", "Running"],
  freeze: ["Freezing instance", "Running", "Frozen"],
  unfreeze: ["Unfreezing instance", "Frozen", "Running"],
};

/** A JSON envelope response. */
function envelope(body: Record<string, unknown>, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** The 202 answer that starts an operation. */
function created(op: Operation): Response {
  return envelope({
    type: "async",
    status: "Operation created",
    status_code: 100,
    operation: `/1.0/operations/${op.id}`,
    metadata: op,
  }, 202);
}

function sync(metadata: unknown): Response {
  return envelope({ type: "sync", status: "Success", status_code: 200, operation: "", metadata });
}

function error(code: number, message: string, httpStatus = code): Response {
  return envelope({ type: "error", error: message, error_code: code, metadata: null }, httpStatus);
}

/**
 * A fake Incus/LXD daemon serving the operations API on a Unix socket, with
 * the daemons' semantics: operations grouped by lower-case status, finished
 * operations kept for 5 s then gone (404), `/wait?timeout=` slices answered
 * the Incus or the LXD way, `DELETE` refused (400) for operations that may
 * not be cancelled, and error envelopes.
 *
 * It runs commands as the daemons do (`POST /1.0/instances/<name>/exec`,
 * so `client.exec()` and `client.execRecorded()` work unchanged) in a set
 * of instances (default: `c1`, running), from a small scripted set:
 *
 * | command              | does                                                        |
 * | -------------------- | ----------------------------------------------------------- |
 * | `echo [-n] ARGS`     | prints ARGS                                                 |
 * | `cat`                | copies stdin to stdout                                      |
 * | `sh -c SCRIPT`, `sh` | runs `;`/`&&`/`\|\|`-separated commands of this set, quoting, `$VAR`, `$?`, `>&2`, `exit N` |
 * | `sleep SECONDS`      | waits; a signal (control socket) ends it with 128 + signal  |
 * | `true`, `false`      | exit 0, exit 1                                              |
 * | `uname [-s\|-a]`     | prints `Linux`                                              |
 * | `pwd`, `stty size`   | the working directory, the terminal's size                  |
 * | anything else        | exit 127: the operation fails with "Command not found"      |
 *
 * plus your own (`commands: { name: (context) => exitCode }`, see
 * {@linkcode FakeCommand}). Exec with `wait-for-websocket` is a `websocket`
 * operation with fds `0`, `1`, `2` and `control` (`0` and `control` under a
 * terminal); without it, a `task` whose `record-output` logs are served under
 * `/1.0/instances/<name>/logs/`. The exit code is in `metadata.return`;
 * resources, `may_cancel` (false) and error answers are those of Incus 6.0
 * or LXD 5.0 (`flavor`).
 *
 * @example Run commands as in a real instance
 * ```ts
 * import { connect } from "@incusops/operations";
 * import { FakeDaemon } from "@incusops/operations/testing";
 *
 * await using daemon = await FakeDaemon.start({
 *   commands: { greet: ({ args, write }) => write(`hello ${args[0]}\n`) },
 * });
 * await using client = connect({ socket: daemon.path });
 * const run = await client.exec("c1", ["sh", "-c", "greet you; exit 3"]);
 * const { exitCode, stdoutText } = await run.output();
 * console.log(exitCode, stdoutText); // 3 "hello you\n"
 * ```
 *
 * @example Test automation without a daemon
 * ```ts
 * import { connect } from "@incusops/operations";
 * import { FakeDaemon } from "@incusops/operations/testing";
 *
 * await using daemon = await FakeDaemon.start();
 * const op = daemon.createOperation({ durationMs: 50 });
 * await using client = connect({ socket: daemon.path });
 * const final = await client.operations.wait(op.id);
 * console.log(final.status); // "Success"
 * ```
 */
export class FakeDaemon implements AsyncDisposable {
  /** The socket path to give `connect({ socket })`. */
  readonly path: string;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[] = [];
  /** The `/wait` flavor being imitated. */
  flavor: WaitFlavor;
  /** Replaces answers when set (fault injection). */
  interceptor: RequestInterceptor | undefined;
  /** How `/1.0/events` behaves (fault injection); see {@linkcode EventsMode}. */
  eventsMode: EventsMode = "on";
  /**
   * Seconds of silence after which the fake pings an events websocket and
   * drops it unless the client answers (Deno's `idleTimeout`; default
   * none).
   */
  eventsPingSeconds: number | undefined;
  /** How many `/1.0/events` websockets were accepted in all. */
  eventStreamsOpened = 0;
  /** The bearer token demanded (change it to revoke the old one); see {@linkcode FakeDaemonOptions.bearerToken}. */
  bearerToken: string | undefined;
  /** The issuer a bearer refusal names in `X-Incus-OIDC-Issuer` (client id `incusops-fake`). */
  bearerIssuer = "https://issuer.fake.invalid";
  readonly #listeners = new Set<EventListener>();
  readonly #retentionMs: number;
  readonly #entries = new Map<string, Entry>();
  readonly #server: Deno.HttpServer<Deno.UnixAddr>;
  readonly #dir: string | undefined;
  readonly #closing = new AbortController();
  readonly #closed = Promise.withResolvers<void>();
  readonly #instances = new Map<string, Required<FakeInstance>>();
  readonly #commands: Record<string, FakeCommand>;
  readonly #connectMs: number;
  readonly #sessions = new Set<ExecSession>();
  readonly #processes = new Set<FakeProcess>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #operationSockets = new Set<WebSocket>();
  /** Recorded exec output by project and log path. */
  readonly #logs = new Map<string, Uint8Array>();
  #clock = 0;
  #generatedNames = 0;
  readonly #instanceOperationMs: number;
  readonly #bodyLimits: BodyLimits;

  private constructor(path: string, dir: string | undefined, options: FakeDaemonOptions) {
    this.path = path;
    this.#dir = dir;
    this.#retentionMs = options.retentionMs ?? 5_000;
    this.flavor = options.flavor ?? "incus";
    this.bearerToken = options.bearerToken;
    this.#commands = { ...BUILTIN_COMMANDS, ...options.commands };
    this.#connectMs = options.websocketConnectMs ?? 5_000;
    this.#instanceOperationMs = options.instanceOperationMs ?? 50;
    this.#bodyLimits = options;
    for (const instance of options.instances ?? [{ name: "c1" }]) this.setInstance(instance);
    this.#server = Deno.serve(
      { path, transport: "unix", onListen: () => {} },
      (request) =>
        this.#handle(request).catch((refused) => {
          if (refused instanceof BodyRefused) return error(refused.status, refused.message);
          throw refused;
        }),
    );
  }

  /**
   * Starts a fake daemon.
   *
   * @param options Socket path, retention, `/wait` flavor.
   * @returns The running daemon; close it with `close()` or `await using`.
   *
   * @example
   * ```ts
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * const daemon = await FakeDaemon.start({ flavor: "lxd" });
   * console.log(daemon.path);
   * await daemon.close();
   * ```
   */
  static start(options: FakeDaemonOptions = {}): Promise<FakeDaemon> {
    if (options.path !== undefined) {
      return Promise.resolve(new FakeDaemon(options.path, undefined, options));
    }
    const dir = Deno.makeTempDirSync({ prefix: "incusops-fake-" });
    return Promise.resolve(new FakeDaemon(`${dir}/unix.socket`, dir, options));
  }

  /**
   * Creates a running operation.
   *
   * @param spec What it looks like and how it ends.
   * @returns A copy of the new operation.
   *
   * @example
   * ```ts
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * const op = daemon.createOperation({ mayCancel: true, description: "Creating instance" });
   * console.log(op.status); // "Running"
   * ```
   */
  createOperation(spec: OperationSpec = {}): Operation {
    let websockets: WebSocketEndpoints | undefined;
    if (spec.websockets !== undefined) {
      const handlers = spec.websockets;
      const fds = Object.fromEntries(Object.keys(handlers).map((name) => [name, newSecret()]));
      websockets = { fds, connected: new Set(), open: (name, socket) => handlers[name](socket) };
      spec = { ...spec, class: "websocket", metadata: { ...spec.metadata, fds } };
    }
    return structuredClone(this.#create(spec, websockets).op);
  }

  /**
   * Adds an instance, or changes one (e.g. stops it).
   *
   * @param instance Its name, project and state.
   *
   * @example
   * ```ts
   * import { connect, IncusError } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * daemon.setInstance({ name: "c1", status: "Stopped" });
   * await using client = connect({ socket: daemon.path });
   * const error = await client.exec("c1", ["true"]).catch((e) => e);
   * console.log(error instanceof IncusError, error.status); // true 400
   * ```
   */
  setInstance(instance: FakeInstance): void {
    const project = instance.project ?? "default";
    this.#instances.set(`${project}/${instance.name}`, {
      name: instance.name,
      project,
      status: instance.status ?? "Running",
    });
  }

  #create(spec: OperationSpec, websockets?: WebSocketEndpoints): Entry {
    const now = this.#timestamp();
    const op: Operation = {
      id: crypto.randomUUID(),
      class: spec.class ?? "task",
      description: spec.description ?? "Executing command",
      created_at: now,
      updated_at: now,
      status: "Running",
      status_code: StatusCode.Running,
      resources: spec.resources ?? {},
      metadata: spec.metadata === undefined ? {} : spec.metadata,
      may_cancel: spec.mayCancel ?? false,
      err: "",
      location: "none",
      project: spec.project ?? "default",
    };
    const entry: Entry = { op, finished: Promise.withResolvers(), timers: [], websockets };
    this.#entries.set(op.id, entry);
    this.#operationEvent(op);
    if (spec.durationMs !== undefined) {
      entry.timers.push(setTimeout(() => {
        const outcome = spec.outcome ?? "Success";
        this.finish(op.id, { status: outcome, err: spec.err, metadata: spec.finalMetadata });
      }, spec.durationMs));
    }
    return entry;
  }

  /**
   * Finishes a running operation; waiters are answered and the operation
   * disappears after the retention time.
   *
   * @param id The operation id.
   * @param spec The final status, `err`, metadata.
   *
   * @example
   * ```ts
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * const op = daemon.createOperation();
   * daemon.finish(op.id, { status: "Failure", err: "Command not found" });
   * ```
   */
  finish(id: string, spec: FinishSpec): void {
    const entry = this.#entries.get(id);
    if (entry === undefined || FINAL.has(entry.op.status_code)) return;
    const { op } = entry;
    op.status = spec.status;
    op.status_code = statusCodeOf(spec.status);
    op.err = spec.status === "Failure" ? spec.err ?? "Failed" : "";
    op.may_cancel = false;
    if (spec.metadata) op.metadata = { ...op.metadata, ...spec.metadata };
    op.updated_at = this.#timestamp();
    entry.finished.resolve();
    this.#operationEvent(op);
    entry.timers.push(setTimeout(() => this.#forget(id), this.#retentionMs));
  }

  /**
   * Changes a running operation's metadata (e.g. progress).
   *
   * @param id The operation id.
   * @param metadata Merged into the operation's metadata.
   *
   * @example
   * ```ts
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * const op = daemon.createOperation();
   * daemon.update(op.id, { progress: { stage: "unpack", percent: "40" } });
   * ```
   */
  update(id: string, metadata: Record<string, unknown>): void {
    const entry = this.#entries.get(id);
    if (entry === undefined) return;
    entry.op.metadata = { ...entry.op.metadata, ...metadata };
    entry.op.updated_at = this.#timestamp();
    this.#operationEvent(entry.op);
  }

  /** How many `/1.0/events` websockets are open now. */
  get eventStreams(): number {
    return this.#listeners.size;
  }

  /**
   * Sends an event to every `/1.0/events` listener whose type and project
   * match (operation events are sent on their own when operations change).
   *
   * @param type The event type (`operation`, `logging`, `lifecycle`, ...).
   * @param metadata The event's metadata.
   * @param project Its project (default `"default"`).
   *
   * @example
   * ```ts
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * daemon.emitEvent("lifecycle", { action: "instance-started", source: "/1.0/instances/c1" });
   * ```
   */
  emitEvent(type: string, metadata: unknown, project = "default"): void {
    if (this.eventsMode === "silent") return;
    const text = JSON.stringify({
      type,
      timestamp: this.#timestamp(),
      metadata,
      location: "none",
      project,
    });
    for (const listener of this.#listeners) {
      if (listener.types !== undefined && !listener.types.has(type)) continue;
      if (listener.project !== undefined && listener.project !== project) continue;
      if (listener.socket.readyState === WebSocket.OPEN) listener.socket.send(text);
    }
  }

  /**
   * Closes every `/1.0/events` websocket from the server side, as a daemon
   * restart or a network cut does (fault injection).
   *
   * @example
   * ```ts
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * daemon.dropEventStreams();
   * ```
   */
  dropEventStreams(): void {
    for (const listener of this.#listeners) listener.socket.close(1001, "going away");
  }

  /**
   * A copy of an operation as the fake holds it, or `undefined` when gone.
   *
   * @param id The operation id.
   * @returns The operation, or `undefined`.
   *
   * @example
   * ```ts
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * const op = daemon.createOperation();
   * console.log(daemon.operation(op.id)?.status); // "Running"
   * ```
   */
  operation(id: string): Operation | undefined {
    const entry = this.#entries.get(id);
    return entry === undefined ? undefined : structuredClone(entry.op);
  }

  /**
   * Stops serving, answers pending waits, and removes the temporary socket
   * directory. Safe to call twice.
   *
   * @example
   * ```ts
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * const daemon = await FakeDaemon.start();
   * await daemon.close();
   * ```
   */
  async close(): Promise<void> {
    if (this.#closing.signal.aborted) return;
    this.#closing.abort();
    this.#closed.resolve();
    for (const process of this.#processes) process.kill(9);
    await Promise.all([...this.#sessions].map((session) => session.abort()));
    await Promise.all(this.#tasks);
    // A client that never answers the close is waited for a bounded time.
    await Promise.all([...this.#operationSockets].map((socket) => closeWebSocket(socket)));
    for (const entry of this.#entries.values()) {
      for (const timer of entry.timers) clearTimeout(timer);
    }
    this.#entries.clear();
    const sockets = [...this.#listeners].map(({ socket }) => socket);
    this.dropEventStreams();
    await Promise.all(sockets.map((socket) => closeWebSocket(socket)));
    await this.#server.shutdown();
    if (this.#dir !== undefined) await Deno.remove(this.#dir, { recursive: true });
  }

  /** Same as {@linkcode FakeDaemon.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #forget(id: string): void {
    const entry = this.#entries.get(id);
    if (entry === undefined) return;
    for (const timer of entry.timers) clearTimeout(timer);
    this.#entries.delete(id);
  }

  /** RFC 3339 with nanoseconds, strictly increasing. */
  #timestamp(): string {
    this.#clock = Math.max(this.#clock + 1, Date.now() * 1_000_000);
    const ms = Math.floor(this.#clock / 1_000_000);
    const nanos = String(this.#clock % 1_000_000_000).padStart(9, "0");
    return new Date(ms).toISOString().replace(/\.\d{3}Z$/, `.${nanos}Z`);
  }

  #operationEvent(op: Operation): void {
    if (this.#listeners.size > 0) this.emitEvent("operation", op, op.project ?? "default");
  }

  #events(request: Request, url: URL): Response {
    if (this.eventsMode === "refuse") return error(403, "not authorized");
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return error(400, "websocket upgrade required");
    }
    const { socket, response } = Deno.upgradeWebSocket(request, {
      idleTimeout: this.eventsPingSeconds,
    });
    const types = url.searchParams.get("type");
    const listener: EventListener = {
      socket,
      types: types ? new Set(types.split(",")) : undefined,
      project: url.searchParams.get("all-projects") === "true"
        ? undefined
        : url.searchParams.get("project") ?? "default",
    };
    this.eventStreamsOpened++;
    socket.addEventListener("open", () => this.#listeners.add(listener));
    socket.addEventListener("close", () => this.#listeners.delete(listener));
    return response;
  }

  async #handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    this.requests.push({ method: request.method, path: url.pathname, search: url.search });
    if (
      this.bearerToken !== undefined &&
      request.headers.get("authorization") !== `Bearer ${this.bearerToken}`
    ) {
      const response = error(401, "Failed to authenticate: token refused");
      response.headers.set("x-incus-oidc-issuer", this.bearerIssuer);
      response.headers.set("x-incus-oidc-clientid", "incusops-fake");
      return response;
    }
    if (this.interceptor !== undefined) {
      const replaced = await this.interceptor(request, url);
      if (replaced !== undefined) return replaced;
    }
    const project = url.searchParams.get("project") ?? "default";
    if (url.pathname === "/1.0") {
      // LXD 5.0 lacks the extension and ignores `all-projects` on operations.
      const api_extensions = this.flavor === "incus" ? ["operations_get_query_all_projects"] : [];
      return sync({ api_version: "1.0", api_extensions, environment: { server: "fake", project } });
    }
    if (url.pathname === "/1.0/projects" && request.method === "GET") {
      const names = new Set(["default"]);
      for (const { op } of this.#entries.values()) names.add(op.project ?? "default");
      return sync([...names].map((name) => `/1.0/projects/${encodeURIComponent(name)}`));
    }
    if (url.pathname === "/1.0/operations" && request.method === "GET") {
      return this.#list(url, project);
    }
    if (url.pathname === "/1.0/events" && request.method === "GET") {
      return this.#events(request, url);
    }
    if (url.pathname === "/1.0/instances" && request.method === "POST") {
      return await this.#createInstance(request, project);
    }
    if (url.pathname === "/1.0/instances" && request.method === "GET") {
      return sync(
        [...this.#instances.values()].filter((instance) => instance.project === project)
          .map(({ name }) => `/1.0/instances/${name}`),
      );
    }
    const instancePath = INSTANCE_PATH.exec(url.pathname);
    if (instancePath !== null) {
      return await this.#instanceRoute(request, project, instancePath[1], instancePath[2]);
    }
    const match = OPERATION_PATH.exec(url.pathname);
    if (match === null) return error(404, "not found");
    const entry = this.#entries.get(match[1]);
    // Incus 6.0.4 and LXD 5.0.2 serve one operation (GET, /wait, DELETE,
    // /websocket) whatever `?project=` says: operation ids are global.
    if (entry === undefined) return error(404, "Operation not found");
    if (match[2] === "/websocket" && request.method === "GET") {
      return this.#operationWebSocket(request, url, entry);
    }
    if (match[2] === "/wait" && request.method === "GET") return await this.#wait(entry, url);
    if (match[2] !== undefined) return error(405, "method not allowed");
    if (request.method === "GET") return sync(entry.op);
    if (request.method === "DELETE") return this.#cancel(entry);
    return error(405, "method not allowed");
  }

  #list(url: URL, project: string): Response {
    const all = url.searchParams.get("all-projects") === "true" && this.flavor === "incus";
    const full = url.searchParams.get("recursion") === "1";
    const groups: Record<string, unknown[]> = {};
    for (const { op } of this.#entries.values()) {
      if (!all && op.project !== project) continue;
      const key = op.status.toLowerCase();
      const item = full ? op : `/1.0/operations/${op.id}`;
      (groups[key] ??= []).push(item);
    }
    return sync(groups);
  }

  async #wait(entry: Entry, url: URL): Promise<Response> {
    const seconds = Number(url.searchParams.get("timeout") ?? "-1");
    if (!FINAL.has(entry.op.status_code)) {
      const finished = entry.finished.promise;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const expired = seconds < 0
        ? new Promise<void>(() => {})
        : new Promise<void>((resolve) => timer = setTimeout(resolve, seconds * 1000));
      await Promise.race([finished, this.#closed.promise, expired]);
      clearTimeout(timer);
    }
    const { op } = entry;
    if (!FINAL.has(op.status_code)) {
      // Incus 6.0.4 answers HTTP 200 carrying an error envelope with code 500.
      return this.flavor === "incus" ? error(500, "context deadline exceeded", 200) : sync(op);
    }
    if (this.flavor === "incus" && op.status_code === StatusCode.Failure) {
      // Incus 6.0.4 answers HTTP 200 carrying the failure's error envelope.
      return error(400, op.err, 200);
    }
    return sync(op);
  }

  #cancel(entry: Entry): Response {
    if (!entry.op.may_cancel || FINAL.has(entry.op.status_code)) {
      return error(400, "This operation can't be cancelled");
    }
    this.finish(entry.op.id, { status: "Cancelled" });
    return sync({});
  }

  /** `/1.0/instances/<name>`, `.../exec`, `.../logs[/...]`. */
  async #instanceRoute(
    request: Request,
    project: string,
    name: string,
    rest: string | undefined,
  ): Promise<Response> {
    const instance = this.#instances.get(`${project}/${name}`);
    if (instance === undefined) {
      if (this.flavor === "lxd") return error(404, "Instance not found");
      const known = project === "default" ||
        [...this.#instances.values()].some((i) => i.project === project);
      return known
        ? error(
          404,
          `Failed to fetch instance "${name}" in project "${project}": Instance not found`,
        )
        : error(404, "Project not found");
    }
    if (rest === undefined && request.method === "GET") {
      const code = instance.status === "Running" ? 103 : instance.status === "Frozen" ? 110 : 102;
      return sync({ name, project, type: "container", status: instance.status, status_code: code });
    }
    if (rest === "/exec" && request.method === "POST") return await this.#exec(request, instance);
    if (rest === "/state" && request.method === "PUT") {
      return this.#changeState(instance, await this.#jsonBody(request) ?? {});
    }
    if (rest === undefined && request.method === "DELETE") {
      if (instance.status !== "Stopped") return error(400, "Instance is running");
      return this.#instanceOperation("Deleting instance", instance, true, () => {
        this.#instances.delete(`${instance.project}/${instance.name}`);
      });
    }
    if (rest?.startsWith("/logs")) return this.#logsRoute(request.method, instance, rest);
    return error(405, "method not allowed");
  }

  /** The request's JSON body (`undefined` when not JSON), read within the body limits. */
  async #jsonBody(request: Request): Promise<unknown> {
    return parseJson(await readBody(request, this.#bodyLimits));
  }

  async #createInstance(request: Request, project: string): Promise<Response> {
    const body = (await this.#jsonBody(request) ?? {}) as { name?: string; start?: boolean };
    const name = body.name || `fake-${++this.#generatedNames}`;
    const instance = { name, project, status: "Stopped" as const };
    const exists = this.#instances.has(`${project}/${name}`);
    return this.#instanceOperation("Creating instance", instance, true, () => {
      if (exists) {
        return 'Failed creating instance record: Add instance info to the database: This "instances" entry already exists';
      }
      this.setInstance({ ...instance, status: body.start ? "Running" : "Stopped" });
    });
  }

  #changeState(instance: Required<FakeInstance>, body: { action?: string }): Response {
    const action = ACTIONS[body.action ?? ""];
    if (action === undefined) return error(400, `Unknown action ${body.action}`);
    const [description, needed, after] = action;
    return this.#instanceOperation(description, instance, false, () => {
      if (instance.status === after && body.action !== "restart") {
        return `The instance is already ${after === "Running" ? "running" : after.toLowerCase()}`;
      }
      if (needed !== undefined && instance.status !== needed) {
        return `The instance isn't ${needed === "Stopped" ? "stopped" : needed.toLowerCase()}`;
      }
      instance.status = after;
    });
  }

  /**
   * An instance's task operation (create, state change, delete), as the
   * daemons make it: not cancellable, the instance in `resources` (LXD 5.0
   * adds `containers` on create and delete); `apply` runs when it ends after
   * `instanceOperationMs` and returns an error text to fail it.
   */
  #instanceOperation(
    description: string,
    instance: Required<FakeInstance>,
    withContainers: boolean,
    apply: () => string | void,
  ): Response {
    const { name, project } = instance;
    const resources = this.flavor === "lxd"
      ? withContainers
        ? { containers: [`/1.0/containers/${name}`], instances: [`/1.0/instances/${name}`] }
        : { instances: [`/1.0/instances/${name}`] }
      : this.#execResources(name, project, "websocket");
    const entry = this.#create({ description, project, resources, metadata: null });
    entry.timers.push(setTimeout(() => {
      const failure = apply();
      this.finish(
        entry.op.id,
        failure ? { status: "Failure", err: failure } : { status: "Success" },
      );
    }, this.#instanceOperationMs));
    return created(entry.op);
  }

  async #exec(request: Request, instance: Required<FakeInstance>): Promise<Response> {
    const body = await this.#jsonBody(request) as ExecRequest | undefined;
    if (body === null || typeof body !== "object") return error(400, "invalid exec request");
    const waitForWebsocket = body["wait-for-websocket"] === true;
    const record = body["record-output"] === true;
    if (this.flavor === "incus" && record && waitForWebsocket) {
      return error(400, 'Cannot use "record-output" in combination with "wait-for-websocket"');
    }
    if (this.flavor === "incus" && record && body.interactive === true) {
      return error(400, 'Cannot use "interactive" in combination with "record-output"');
    }
    if (instance.status === "Stopped") return error(400, "Instance is not running");
    if (instance.status === "Frozen") return error(400, "Instance is frozen");
    const { name, project } = instance;
    const command = Array.isArray(body.command) ? body.command.map(String) : [];
    body.command = command;
    const common = { instance: name, project, request: body, commands: this.#commands };
    let entry: Entry;
    if (waitForWebsocket) {
      const session: ExecSession = new ExecSession({
        ...common,
        connectMs: this.#connectMs,
        finish: (outcome) => this.finish(entry.op.id, outcome),
      });
      this.#sessions.add(session);
      session.done.then(() => this.#sessions.delete(session));
      entry = this.#create({
        project,
        class: "websocket",
        resources: this.#execResources(name, project, "websocket"),
        metadata: {
          command,
          environment: execEnvironment(body),
          fds: session.fds,
          interactive: body.interactive === true,
        },
      }, session);
    } else {
      entry = this.#create({
        project,
        resources: this.#execResources(name, project, "task"),
        metadata: null,
      });
      const id = entry.op.id;
      const task = runTask({
        ...common,
        record: record ? (fd, bytes) => this.#saveLog(project, name, id, fd, bytes) : undefined,
        track: (process) => {
          this.#processes.add(process);
          return () => this.#processes.delete(process);
        },
        finish: (outcome) => this.finish(id, outcome),
      });
      this.#tasks.add(task);
      task.finally(() => this.#tasks.delete(task));
    }
    return created(entry.op);
  }

  /** An exec's resources: LXD 5.0 adds `containers` (its old URL) and never the project. */
  #execResources(
    name: string,
    project: string,
    kind: "task" | "websocket",
  ): Record<string, string[]> {
    if (this.flavor === "lxd") {
      return { containers: [`/1.0/containers/${name}`], instances: [`/1.0/instances/${name}`] };
    }
    const query = project === "default" ? "" : `?project=${encodeURIComponent(project)}`;
    const url = `/1.0/instances/${name}${query}`;
    return kind === "task" ? { containers: [url], instances: [url] } : { instances: [url] };
  }

  #saveLog(
    project: string,
    instance: string,
    id: string,
    fd: "1" | "2",
    bytes: Uint8Array,
  ): string {
    const path = execLogPaths(this.flavor, instance, id)[fd];
    this.#logs.set(`${project}${path}`, bytes);
    return path;
  }

  /** `GET /logs`, `GET /logs/exec-output` (Incus), `GET`/`DELETE` of one log. */
  #logsRoute(method: string, instance: Required<FakeInstance>, rest: string): Response {
    const { name, project } = instance;
    const base = `/1.0/instances/${name}/logs`;
    const ours = [...this.#logs.keys()].filter((key) => key.startsWith(`${project}${base}/`))
      .map((key) => key.slice(project.length)).sort();
    const file = rest.slice("/logs/".length);
    const onDisk = `/var/lib/fake/containers/${name}/${file}`;
    if (method === "GET" && rest === "/logs") {
      return sync(
        this.flavor === "incus"
          ? [`${base}/lxc.log`]
          : [...ours, `${base}/lxc.conf`, `${base}/lxc.log`].sort(),
      );
    }
    if (method === "GET" && rest === "/logs/exec-output" && this.flavor === "incus") {
      return sync(ours);
    }
    if (!/^(exec-output\/)?exec_[0-9a-f-]+\.std(out|err)$/.test(file)) {
      return error(400, `log file name ${file} not valid`);
    }
    const key = `${project}${base}/${file}`;
    const bytes = this.#logs.get(key);
    if (method === "DELETE") {
      if (bytes === undefined) return error(404, `remove ${onDisk}: no such file or directory`);
      this.#logs.delete(key);
      return sync({});
    }
    if (method !== "GET") return error(405, "method not allowed");
    if (bytes === undefined) {
      // Incus answers 404, LXD 5.0 500.
      return error(
        this.flavor === "incus" ? 404 : 500,
        `open ${onDisk}: no such file or directory`,
      );
    }
    return new Response(bytes.slice(), {
      headers: {
        "content-type": "application/octet-stream",
        "content-disposition": `inline;filename=${file.slice(file.lastIndexOf("/") + 1)}`,
      },
    });
  }

  /** `GET /1.0/operations/<id>/websocket?secret=…`, with the daemons' refusals. */
  #operationWebSocket(request: Request, url: URL, entry: Entry): Response {
    const { op, websockets } = entry;
    if (op.class !== "websocket" || websockets === undefined) {
      return error(500, "Only websocket operations can be connected");
    }
    if (op.status_code !== StatusCode.Running) {
      return error(500, "Only running operations can be connected");
    }
    const secret = url.searchParams.get("secret") ?? "";
    if (secret === "") return error(500, "missing secret");
    const name = Object.keys(websockets.fds).find((fd) => websockets.fds[fd] === secret);
    if (name === undefined) {
      return this.flavor === "incus" ? error(403, "Forbidden") : error(500, "permission denied");
    }
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return error(
        500,
        "websocket: the client is not using the websocket protocol: " +
          "'upgrade' token not found in 'Connection' header",
        400,
      );
    }
    const { socket, response } = Deno.upgradeWebSocket(request);
    this.#operationSockets.add(socket);
    socket.addEventListener("close", () => this.#operationSockets.delete(socket));
    if (websockets.connected.has(name)) {
      // The daemons upgrade, then drop a second connection for the same fd.
      socket.addEventListener("open", () => socket.close());
      return response;
    }
    websockets.connected.add(name);
    socket.binaryType = "arraybuffer";
    socket.addEventListener("open", () => websockets.open(name, socket));
    return response;
  }
}

const FINAL: ReadonlySet<number> = new Set([
  StatusCode.Success,
  StatusCode.Failure,
  StatusCode.Cancelled,
]);
