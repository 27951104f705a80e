/**
 * An in-process fake Incus/LXD daemon on a temporary Unix socket, with real
 * operation semantics, for testing automation without a daemon.
 *
 * @module
 */

import type { Operation } from "../../mod.ts";
import { StatusCode, statusCodeOf } from "../../mod.ts";
import { whenClosed } from "../core/websocket.ts";

/** Which daemon's `/wait` answers the fake imitates. */
export type WaitFlavor = "incus" | "lxd";

/** Options of {@linkcode FakeDaemon.start}. */
export interface FakeDaemonOptions {
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
  metadata?: Record<string, unknown>;
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
}

const OPERATION_PATH = /^\/1\.0\/operations\/([^/]+)(\/wait)?$/;
const EXEC_PATH = /^\/1\.0\/instances\/([^/]+)\/exec$/;

/** A JSON envelope response. */
function envelope(body: Record<string, unknown>, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
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
 * not be cancelled, and error envelopes. `POST /1.0/instances/<name>/exec`
 * starts an operation that runs `sleep N` for N seconds, fails for commands
 * other than `sleep`, `true` and `echo`.
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
  readonly #listeners = new Set<EventListener>();
  readonly #retentionMs: number;
  readonly #entries = new Map<string, Entry>();
  readonly #server: Deno.HttpServer<Deno.UnixAddr>;
  readonly #dir: string | undefined;
  readonly #closing = new AbortController();
  readonly #closed = Promise.withResolvers<void>();
  #clock = 0;

  private constructor(path: string, dir: string | undefined, options: FakeDaemonOptions) {
    this.path = path;
    this.#dir = dir;
    this.#retentionMs = options.retentionMs ?? 5_000;
    this.flavor = options.flavor ?? "incus";
    this.#server = Deno.serve(
      { path, transport: "unix", onListen: () => {} },
      (request) => this.#handle(request),
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
      metadata: spec.metadata ?? {},
      may_cancel: spec.mayCancel ?? false,
      err: "",
      location: "none",
      project: spec.project ?? "default",
    };
    const entry: Entry = { op, finished: Promise.withResolvers(), timers: [] };
    this.#entries.set(op.id, entry);
    this.#operationEvent(op);
    if (spec.durationMs !== undefined) {
      entry.timers.push(setTimeout(() => {
        const outcome = spec.outcome ?? "Success";
        this.finish(op.id, { status: outcome, err: spec.err, metadata: spec.finalMetadata });
      }, spec.durationMs));
    }
    return structuredClone(op);
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
    for (const entry of this.#entries.values()) {
      for (const timer of entry.timers) clearTimeout(timer);
    }
    this.#entries.clear();
    const sockets = [...this.#listeners].map(({ socket }) => socket);
    this.dropEventStreams();
    await Promise.all(sockets.map(whenClosed));
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
    const exec = EXEC_PATH.exec(url.pathname);
    if (exec !== null && request.method === "POST") return await this.#exec(request, project);
    const match = OPERATION_PATH.exec(url.pathname);
    if (match === null) return error(404, "not found");
    const entry = this.#entries.get(match[1]);
    if (entry === undefined || entry.op.project !== project) {
      return error(404, "Operation not found");
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
      return error(400, op.err);
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

  async #exec(request: Request, project: string): Promise<Response> {
    const body = await request.json().catch(() => ({})) as { command?: string[] };
    const [command, argument] = body.command ?? [];
    const spec: OperationSpec = { project, metadata: {} };
    if (command === "sleep") spec.durationMs = Number(argument) * 1000;
    else if (command === "true" || command === "echo") spec.durationMs = 0;
    else Object.assign(spec, { durationMs: 0, outcome: "Failure", err: "Command not found" });
    // The exec's exit code appears in metadata.return when it succeeds.
    if (spec.outcome === undefined) spec.finalMetadata = { return: 0 };
    const op = this.createOperation(spec);
    return envelope({
      type: "async",
      status: "Operation created",
      status_code: 100,
      operation: `/1.0/operations/${op.id}`,
      metadata: op,
    }, 202);
  }
}

const FINAL: ReadonlySet<number> = new Set([
  StatusCode.Success,
  StatusCode.Failure,
  StatusCode.Cancelled,
]);
