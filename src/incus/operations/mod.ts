/**
 * `client.operations`: list, get, wait for, cancel and delete Incus/LXD
 * operations.
 *
 * @module
 */

import {
  ConnectionError,
  InvalidArgumentError,
  OperationCancelledError,
  OperationFailedError,
  ResponseTimeoutError,
} from "../../core/errors.ts";
import { IncusError, NotCancellableError, OperationNotFoundError } from "../errors.ts";
import { abortable } from "../../core/signals.ts";
import { operationId } from "../operation_id.ts";
import { pause } from "../../core/pause.ts";
import { eventsQuery } from "../events.ts";
import { describeValue, duration } from "../../core/validate.ts";
import { type HubSettings, Inbox, OperationEventHub } from "./event_hub.ts";
import { parseProgress, type Progress } from "../progress.ts";
import { applyMutator, type Mutator } from "../../core/mutator.ts";
import {
  isFinal,
  type Operation,
  type OperationsByStatus,
  STATUS_KEYS,
  StatusCode,
} from "../operation.ts";
import { type Backoff, pollUntilDone, type StepResult } from "../../core/poll.ts";
import { IdempotentRequests } from "../transport/idempotent.ts";
import type { RetryOption } from "../../core/retry.ts";
import type { Envelope, Transport } from "../transport/transport.ts";
import { openOperationWebSocket, type WebSocketOptions } from "../transport/websocket.ts";

/** Options every call takes. */
export interface CallOptions {
  /** Aborts the call; it rejects with the signal's reason. */
  signal?: AbortSignal;
  /** The project to act in (default: the client's `project`, else the server's default). */
  project?: string;
  /**
   * This call's retry policy, over the client's (`connect({ retry })`):
   * fields to replace, or `false` for none. Only idempotent calls (GET and
   * `/wait`) are ever retried.
   */
  retry?: RetryOption;
}

/** Options of {@linkcode Operations.list} and {@linkcode Operations.listByStatus}. */
export interface ListOptions extends CallOptions {
  /** `1` (default): full operations; `0`: only their ids. */
  recursion?: 0 | 1;
  /** List the operations of every project. */
  allProjects?: boolean;
}

/** Options of {@linkcode Operations.wait}. */
export interface WaitOptions extends CallOptions {
  /**
   * How long to wait, in ms. When it passes the wait rejects with a
   * `DOMException` named `TimeoutError`; the operation keeps running.
   * Default: no limit.
   */
  timeout?: number;
  /**
   * Called with the operation's parsed progress each time it changes
   * (`metadata.progress` or a `*_progress` text), and with the operation.
   * It must not throw (what it throws is ignored).
   */
  onProgress?: (progress: Progress, operation: Operation) => void;
}

/** Catch-up reads waiting for one list, by operation id. */
type CatchUpBatch = Map<string, PromiseWithResolvers<Operation | undefined>[]>;

/** Options of {@linkcode Operations.waitAll} and {@linkcode Operations.waitAny}. */
export interface WaitManyOptions extends WaitOptions {
  /** Most operations waited for at once (default: all). */
  concurrency?: number;
}

/** How `client.operations` is set up; made by `connect()`. */
export interface OperationsSettings {
  /** The client's default project. */
  project?: string;
  /** Waiting-loop knobs. */
  tuning?: Partial<WaitTuning>;
  /** The client's retry policy (`connect({ retry })`). */
  retry?: RetryOption;
}

/** How the waiting loop behaves; internal knobs with sensible defaults. */
export interface WaitTuning {
  /** Longest server-side `/wait` slice, ms (default 30 s). */
  maxSliceMs: number;
  /** Pause between slices that returned early (a server that does not wait). */
  backoff: Backoff;
  /** Wait on the shared events connection (default), else on `/wait` slices only. */
  events: boolean;
  /** Timing of the shared events connection. */
  hub?: Partial<HubSettings>;
}

const DEFAULT_TUNING: WaitTuning = {
  maxSliceMs: 30_000,
  backoff: { initial: 100, multiplier: 1.3, max: 5_000, jitter: false },
  events: true,
};

/** A function reporting an operation's progress when it changed, or `undefined`. */
function progressReporter(
  onProgress: WaitOptions["onProgress"],
): ((operation: Operation) => void) | undefined {
  if (onProgress === undefined) return undefined;
  let last = "";
  return (operation) => {
    const progress = parseProgress(operation.metadata);
    if (progress === undefined) return;
    const key = JSON.stringify(progress);
    if (key === last) return;
    last = key;
    try {
      onProgress(progress, operation);
    } catch {
      // A reporting callback must not break the wait.
    }
  };
}

/** Time allowed past a `/wait` slice for the answer to arrive: up to 10 s. */
function sliceGrace(sliceSeconds: number): number {
  return Math.min(10_000, sliceSeconds * 1000);
}

/** Incus answers a `/wait` slice that ran out with this error text. */
const DEADLINE_TEXT = /deadline exceeded/i;

const COLLECTION = "/1.0/operations";
const ALL_PROJECTS_EXTENSION = "operations_get_query_all_projects";

/**
 * The operations API of one client, reached as `client.operations`. Every
 * method takes an options object (with `signal` and `project`) and, last, an
 * optional mutator applied to its result.
 *
 * @example Wait for everything that is running
 * ```ts no-eval
 * import { connect } from "@incusops/operations";
 *
 * await using client = connect();
 * for (const op of await client.operations.list()) {
 *   if (op.status === "Running") await client.operations.wait(op.id, { timeout: 60_000 });
 * }
 * ```
 */
export class Operations {
  readonly #transport: Transport;
  readonly #project: string | undefined;
  readonly #tuning: WaitTuning;
  readonly #requests: IdempotentRequests;
  #allProjects: Promise<boolean> | undefined;
  readonly #hubs = new Map<string, OperationEventHub>();
  readonly #batches = new Map<string, CatchUpBatch>();

  /**
   * Made by `connect()`; not meant to be constructed directly.
   *
   * @param transport The client's transport.
   * @param settings Default project, waiting-loop knobs, retry policy.
   */
  constructor(transport: Transport, settings: OperationsSettings = {}) {
    this.#transport = transport;
    this.#project = settings.project;
    this.#tuning = { ...DEFAULT_TUNING, ...settings.tuning };
    this.#requests = new IdempotentRequests(transport, settings.retry);
  }

  /**
   * Sends an idempotent GET, retried under the client's and the call's
   * retry policy when it fails with a transient error. Only `signal` and
   * `retry` are taken from the call's options (a wait's `timeout` bounds the
   * wait, not one request); `request` sets this request's own limit.
   */
  #idempotent(
    path: string,
    query: string | undefined,
    options: CallOptions,
    request: { timeout?: number; fresh?: boolean } = {},
  ): Promise<Envelope> {
    return this.#requests.get(path, query, {
      signal: options.signal,
      retry: options.retry,
      timeout: request.timeout,
      fresh: request.fresh,
    });
  }

  /**
   * Lists operations, oldest first (`recursion: 1`, the default), or their
   * ids (`recursion: 0`).
   *
   * @param options `recursion`, `project`, `allProjects`, `signal`.
   * @param mutator Applied to the result.
   * @returns The operations (or ids), or the mutator's result.
   *
   * @example
   * ```ts no-eval
   * import { connect } from "@incusops/operations";
   *
   * await using client = connect();
   * const ops = await client.operations.list();
   * const ids = await client.operations.list({ recursion: 0 });
   * const count = await client.operations.list({}, (ops) => ops.length);
   * console.log(ops, ids, count);
   * ```
   */
  list(options?: ListOptions & { recursion?: 1 }): Promise<Operation[]>;
  /**
   * Lists operations, oldest first, and resolves with `mutator`'s result.
   *
   * @param options `project`, `allProjects`, `signal`.
   * @param mutator Applied to the operations.
   * @returns The mutator's result.
   *
   * @example
   * ```ts no-eval
   * import { connect } from "@incusops/operations";
   *
   * await using client = connect();
   * console.log(await client.operations.list({}, (ops) => ops.length));
   * ```
   */
  list<R>(
    options: (ListOptions & { recursion?: 1 }) | undefined,
    mutator: Mutator<Operation[], R>,
  ): Promise<R>;
  /**
   * Lists the ids of operations (`recursion: 0`).
   *
   * @param options `recursion: 0`, `project`, `allProjects`, `signal`.
   * @returns The ids.
   *
   * @example
   * ```ts no-eval
   * import { connect } from "@incusops/operations";
   *
   * await using client = connect();
   * console.log(await client.operations.list({ recursion: 0 }));
   * ```
   */
  list(options: ListOptions & { recursion: 0 }): Promise<string[]>;
  /**
   * Lists the ids of operations (`recursion: 0`) and resolves with
   * `mutator`'s result.
   *
   * @param options `recursion: 0`, `project`, `allProjects`, `signal`.
   * @param mutator Applied to the ids.
   * @returns The mutator's result.
   *
   * @example
   * ```ts no-eval
   * import { connect } from "@incusops/operations";
   *
   * await using client = connect();
   * console.log(await client.operations.list({ recursion: 0 }, (ids) => ids.length));
   * ```
   */
  list<R>(options: ListOptions & { recursion: 0 }, mutator: Mutator<string[], R>): Promise<R>;
  async list<R>(
    options: ListOptions = {},
    // deno-lint-ignore no-explicit-any
    mutator?: Mutator<any, R>,
  ): Promise<R | Operation[] | string[]> {
    const recursion = options.recursion ?? 1;
    const byStatus = await this.#fetchList(options, recursion);
    if (recursion === 0) {
      const ids: string[] = [];
      for (const urls of Object.values(byStatus)) {
        for (const url of urls as string[]) ids.push(idFromUrl(url));
      }
      return await applyMutator(ids, mutator);
    }
    return await applyMutator(sortOldestFirst(byStatus as Record<string, Operation[]>), mutator);
  }

  /**
   * Lists operations grouped by lower-case status, as the server groups
   * them; every known status is a key (empty ones hold `[]`).
   *
   * @param options `project`, `allProjects`, `signal`.
   * @param mutator Applied to the result.
   * @returns The groups, or the mutator's result.
   *
   * @example
   * ```ts no-eval
   * import { connect } from "@incusops/operations";
   *
   * await using client = connect();
   * const { running } = await client.operations.listByStatus();
   * console.log(running.map((op) => op.description));
   * ```
   */
  async listByStatus<R = OperationsByStatus>(
    options: Omit<ListOptions, "recursion"> = {},
    mutator?: Mutator<OperationsByStatus, R>,
  ): Promise<R> {
    const byStatus = await this.#fetchList(options, 1) as Record<string, Operation[]>;
    const groups = {} as OperationsByStatus;
    for (const key of STATUS_KEYS) groups[key] = [];
    for (const [key, ops] of Object.entries(byStatus)) {
      (groups as Record<string, Operation[]>)[key.toLowerCase()] = sortOldestFirst({ key: ops });
    }
    return await applyMutator(groups, mutator);
  }

  async #fetchList(options: ListOptions, recursion: 0 | 1): Promise<Record<string, unknown[]>> {
    if (options.allProjects && !(await this.#supportsAllProjects(options.signal))) {
      return await this.#fetchEveryProject(options, recursion);
    }
    const query = options.allProjects
      ? `recursion=${recursion}&all-projects=true`
      : this.#query(options.project, `recursion=${recursion}`);
    const envelope = await this.#idempotent(COLLECTION, query, options);
    const metadata = envelope.metadata;
    // A server with no operations may answer `null` or `{}`.
    return metadata !== null && typeof metadata === "object"
      ? metadata as Record<string, unknown[]>
      : {};
  }

  /**
   * Whether the server honours `all-projects` on operations (API extension
   * `operations_get_query_all_projects`). LXD 5.0 ignores the parameter and
   * lists the default project only, so there the client asks every project.
   */
  #supportsAllProjects(signal: AbortSignal | undefined): Promise<boolean> {
    this.#allProjects ??= this.#idempotent("/1.0", undefined, { signal }).then(
      (envelope) => {
        const extensions = (envelope.metadata as { api_extensions?: unknown })?.api_extensions;
        return Array.isArray(extensions) && extensions.includes(ALL_PROJECTS_EXTENSION);
      },
      (error) => {
        this.#allProjects = undefined;
        throw error;
      },
    );
    return this.#allProjects;
  }

  /** Lists every project's operations, one request each, merged by status. */
  async #fetchEveryProject(
    options: ListOptions,
    recursion: 0 | 1,
  ): Promise<Record<string, unknown[]>> {
    const projects = await this.#idempotent("/1.0/projects", "recursion=0", options);
    const names = (projects.metadata as string[] ?? []).map((url) =>
      decodeURIComponent(idFromUrl(url))
    );
    const lists = await Promise.all(
      names.map((project) =>
        this.#fetchList({ ...options, project, allProjects: false }, recursion)
      ),
    );
    const merged: Record<string, unknown[]> = {};
    for (const groups of lists) {
      for (const [status, items] of Object.entries(groups)) {
        const list = merged[status] ??= [];
        for (const item of items) list.push(item); // no spread: safe for any length
      }
    }
    return merged;
  }

  /**
   * Gets one operation.
   *
   * @param id The operation's UUID (or its `/1.0/operations/<uuid>` path).
   * @param options `project`, `signal`.
   * @param mutator Applied to the result.
   * @returns The operation, or the mutator's result.
   * @throws {InvalidArgumentError} `id` is not an operation id; nothing was sent.
   * @throws {OperationNotFoundError} The server does not know it (any more).
   *
   * @example
   * ```ts no-eval
   * import { connect } from "@incusops/operations";
   *
   * await using client = connect();
   * const op = await client.operations.get("9a8b7c6d-1234-4abc-9def-0123456789ab");
   * console.log(op.status, op.metadata);
   * ```
   */
  async get<R = Operation>(
    id: string,
    options: CallOptions = {},
    mutator?: Mutator<Operation, R>,
  ): Promise<R> {
    const uuid = operationId(id);
    return await applyMutator(await this.#get(uuid, options, false), mutator);
  }

  async #get(uuid: string, options: CallOptions, seen: boolean): Promise<Operation> {
    try {
      const envelope = await this.#idempotent(
        `${COLLECTION}/${uuid}`,
        this.#query(options.project),
        options,
      );
      return envelope.metadata as Operation;
    } catch (error) {
      throw this.#notFound(uuid, error, seen);
    }
  }

  /**
   * Waits until the operation is final. Resolves with the final operation
   * on Success; rejects with {@linkcode OperationFailedError} on Failure,
   * {@linkcode OperationCancelledError} on Cancelled, a `DOMException` named
   * `TimeoutError` when `timeout` passes (the operation keeps running), and
   * the signal's reason when `signal` aborts.
   *
   * Waits are push-based: every wait of a client shares one `/1.0/events`
   * connection per project (subscribe, read the operation once, resolve on
   * its final event; after a reconnect, read it again). Without events
   * (refused, or `connect({ events: false })`) the wait is made of
   * server-side `/wait?timeout=` slices; both the LXD answer to a slice that
   * ran out (200 and a running operation) and the Incus one (an error
   * "context deadline exceeded") mean "still running".
   *
   * @param id The operation's UUID (or its `/1.0/operations/<uuid>` path).
   * @param options `timeout` (ms), `signal`, `project`, `onProgress`, `retry`.
   * @param mutator Applied to the final operation.
   * @returns The final operation, or the mutator's result.
   *
   * @example
   * ```ts no-eval
   * import { connect } from "@incusops/operations";
   *
   * await using client = connect();
   * const started = await client.query<{ id: string }>("/1.0/instances/c1/state", {
   *   method: "PUT",
   *   body: { action: "restart", timeout: 30 },
   * });
   * const done = await client.operations.wait(started.id, { timeout: 60_000 });
   * console.log(done.status); // "Success"
   * ```
   */
  async wait<R = Operation>(
    id: string,
    options: WaitOptions = {},
    mutator?: Mutator<Operation, R>,
  ): Promise<R> {
    const uuid = operationId(id);
    const operation = await this.#waitFinal(uuid, options);
    return await applyMutator(settle(operation, "GET", `${COLLECTION}/${uuid}/wait`), mutator);
  }

  /** Waits until the operation is final and resolves with it, whatever its outcome. */
  #waitFinal(uuid: string, options: WaitOptions): Promise<Operation> {
    const path = `${COLLECTION}/${uuid}/wait`;
    const report = progressReporter(options.onProgress);
    let seen = false;
    let events = this.#tuning.events;
    return pollUntilDone(async ({ remaining, signal }) => {
      if (events) {
        const final = await this.#waitWithEvents(uuid, options, signal, report);
        if (final !== undefined) return { done: true, value: final };
        events = false; // unavailable or lost: /wait slices from now on
        seen = true;
        return { done: false, pause: false };
      }
      // With onProgress, short slices and a look at the operation between them.
      const longest = report === undefined ? this.#tuning.maxSliceMs : 1_000;
      const slice = Math.min(remaining ?? Infinity, longest);
      const seconds = Math.max(1, Math.ceil(slice / 1000));
      const query = this.#query(options.project, `timeout=${seconds}`);
      let answer: Operation;
      try {
        const envelope = await this.#idempotent(path, query, { ...options, signal }, {
          timeout: seconds * 1000 + sliceGrace(seconds),
          fresh: true,
        });
        answer = envelope.metadata as Operation;
      } catch (error) {
        // A slice the daemon never answered is retried (a /wait is idempotent);
        // the caller's timeout and signal bound the whole wait.
        if (error instanceof ResponseTimeoutError) return { done: false };
        if (!(error instanceof IncusError) || error instanceof ConnectionError) throw error;
        if (DEADLINE_TEXT.test(error.message)) {
          seen = true;
          if (report !== undefined) report(await this.#get(uuid, { ...options, signal }, seen));
          return { done: false };
        }
        // An error from /wait may be the operation's own `err` (Incus), or
        // "not found": the operation itself tells which.
        return this.#afterWaitError(uuid, error, { ...options, signal }, seen);
      }
      seen = true;
      report?.(answer);
      return isFinal(answer) ? { done: true, value: answer } : { done: false };
    }, {
      timeout: options.timeout,
      signal: options.signal,
      backoff: this.#tuning.backoff,
      pauseIfFasterThan: 500,
      timeoutMessage: `operation ${uuid} still running after ${options.timeout} ms`,
    });
  }

  /**
   * Waits on the shared events connection: subscribe, then read the
   * operation once (it may have finished before the subscription), then
   * resolve on its final event; read it again after a reconnect. Resolves
   * `undefined` when events are unavailable or lost (the caller goes on
   * with `/wait`).
   */
  async #waitWithEvents(
    uuid: string,
    options: CallOptions,
    signal: AbortSignal,
    report: ((operation: Operation) => void) | undefined,
  ): Promise<Operation | undefined> {
    const inbox = new Inbox();
    const unsubscribe = await this.#hub(options.project).subscribe(uuid, inbox.push, signal);
    if (unsubscribe === undefined) return undefined;
    let seen = false;
    try {
      for (;;) {
        const current = await this.#catchUp(uuid, { ...options, signal }, seen);
        seen = true;
        report?.(current);
        if (isFinal(current)) return current;
        for (;;) {
          const notice = await inbox.take(signal);
          if (notice.kind === "lost") return undefined;
          if (notice.kind === "resync") break;
          report?.(notice.operation);
          if (isFinal(notice.operation)) return notice.operation;
        }
      }
    } finally {
      unsubscribe();
    }
  }

  /**
   * Every state of an operation until it is final: the current one first,
   * then each change (status, metadata such as progress) as it happens,
   * from the shared events connection (or, without events, by reading it
   * every `pollMs`). The iteration ends after the final state; it throws
   * {@linkcode OperationNotFoundError} if the operation is unknown, and the
   * signal's reason when `signal` aborts.
   *
   * @param id The operation's UUID (or its `/1.0/operations/<uuid>` path).
   * @param options `signal`, `project`, `pollMs` (default 500).
   * @returns An async iterator of operation states.
   *
   * @example
   * ```ts no-eval
   * import { connect, parseProgress } from "@incusops/operations";
   *
   * await using client = connect();
   * for await (const op of client.operations.watch("9a8b7c6d-1234-4abc-9def-0123456789ab")) {
   *   console.log(op.status, parseProgress(op.metadata)?.percent);
   * }
   * ```
   */
  async *watch(
    id: string,
    options: CallOptions & { pollMs?: number } = {},
  ): AsyncGenerator<Operation, void, undefined> {
    const uuid = operationId(id);
    const pollMs = duration("pollMs", options.pollMs) ?? 500;
    const controller = new AbortController();
    const onAbort = () => controller.abort(options.signal!.reason);
    options.signal?.throwIfAborted();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const signal = controller.signal;
    const call = { ...options, signal };
    const inbox = new Inbox();
    let unsubscribe: (() => void) | undefined;
    let last = "";
    const changed = (op: Operation) => {
      const key = `${op.status_code} ${op.updated_at} ${JSON.stringify(op.metadata)}`;
      if (key === last) return false;
      last = key;
      return true;
    };
    try {
      if (this.#tuning.events) {
        unsubscribe = await this.#hub(options.project).subscribe(uuid, inbox.push, signal);
      }
      let seen = false;
      while (unsubscribe !== undefined) {
        const current = await this.#catchUp(uuid, call, seen);
        seen = true;
        if (changed(current)) yield current;
        if (isFinal(current)) return;
        let notice = await inbox.take(signal);
        for (; notice.kind === "update"; notice = await inbox.take(signal)) {
          if (changed(notice.operation)) yield notice.operation;
          if (isFinal(notice.operation)) return;
        }
        if (notice.kind === "lost") {
          unsubscribe();
          unsubscribe = undefined;
        }
      }
      // Without events: read it every pollMs.
      for (;;) {
        const current = await this.#get(uuid, call, seen);
        seen = true;
        if (changed(current)) yield current;
        if (isFinal(current)) return;
        await pause(pollMs, signal);
      }
    } finally {
      unsubscribe?.();
      options.signal?.removeEventListener("abort", onAbort);
    }
  }

  /**
   * Waits for every operation, at most `concurrency` at a time, and
   * resolves with their final states in the order of `ids`. Rejects with
   * the first failure ({@linkcode OperationFailedError},
   * {@linkcode OperationCancelledError}, not found, ...), and stops waiting
   * for the others; `timeout` and `signal` bound the whole call.
   *
   * @param ids Operation ids (or `/1.0/operations/<uuid>` paths); all checked before anything is sent.
   * @param options `timeout`, `signal`, `project`, `concurrency` (default: all at once), `onProgress`.
   * @param mutator Applied to the final operations.
   * @returns The final operations, or the mutator's result.
   *
   * @example
   * ```ts no-eval
   * import { connect } from "@incusops/operations";
   *
   * await using client = connect();
   * const ids = await client.operations.list({}, (ops) =>
   *   ops.filter((op) => op.status === "Running").map((op) => op.id));
   * const done = await client.operations.waitAll(ids, { timeout: 120_000 });
   * console.log(done.map((op) => op.status));
   * ```
   */
  async waitAll<R = Operation[]>(
    ids: readonly string[],
    options: WaitManyOptions = {},
    mutator?: Mutator<Operation[], R>,
  ): Promise<R> {
    const finals = await this.#waitMany(ids, options, (waits) => Promise.all(waits));
    return await applyMutator(finals, mutator);
  }

  /**
   * Waits until the first of the operations is final: resolves with it on
   * Success, rejects as {@linkcode Operations.wait} does otherwise, and
   * stops waiting for the others.
   *
   * @param ids Operation ids (or `/1.0/operations/<uuid>` paths); all checked before anything is sent.
   * @param options `timeout`, `signal`, `project`, `concurrency`, `onProgress`.
   * @param mutator Applied to the first final operation.
   * @returns The first final operation, or the mutator's result.
   *
   * @example
   * ```ts no-eval
   * import { connect } from "@incusops/operations";
   *
   * await using client = connect();
   * const first = await client.operations.waitAny([
   *   "9a8b7c6d-1234-4abc-9def-0123456789ab",
   *   "0b1c2d3e-4f50-4a6b-8c7d-8e9fa0b1c2d3",
   * ]);
   * console.log(first.id, first.status);
   * ```
   */
  async waitAny<R = Operation>(
    ids: readonly string[],
    options: WaitManyOptions = {},
    mutator?: Mutator<Operation, R>,
  ): Promise<R> {
    if (ids.length === 0) {
      throw new InvalidArgumentError("waitAny needs at least one operation id");
    }
    const first = await this.#waitMany(ids, options, (waits) => Promise.race(waits));
    return await applyMutator(first, mutator);
  }

  /**
   * Starts a settled wait per id (at most `concurrency` at once), combines
   * them with `combine`, and aborts the waits still running afterwards.
   */
  async #waitMany<T>(
    ids: readonly string[],
    options: WaitManyOptions,
    combine: (waits: Promise<Operation>[]) => Promise<T>,
  ): Promise<T> {
    if (!Array.isArray(ids)) {
      throw new InvalidArgumentError(`invalid ids ${describeValue(ids)}: expected an array`);
    }
    const uuids = ids.map((id) => operationId(id));
    const concurrency = options.concurrency ?? Infinity;
    if (!(concurrency >= 1)) {
      throw new InvalidArgumentError(
        `invalid concurrency ${describeValue(concurrency)}: expected a number >= 1`,
      );
    }
    const timeout = duration("timeout", options.timeout);
    options.signal?.throwIfAborted();
    const controller = new AbortController();
    const onAbort = () => controller.abort(options.signal!.reason);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const timer = timeout === undefined ? undefined : setTimeout(() =>
      controller.abort(
        new DOMException(`operations still running after ${timeout} ms`, "TimeoutError"),
      ), timeout);
    const single: WaitOptions = { ...options, timeout: undefined, signal: controller.signal };
    let running = 0;
    const queue: (() => void)[] = [];
    const slot = async () => {
      if (running >= concurrency) await new Promise<void>((resolve) => queue.push(resolve));
      running++;
    };
    const release = () => {
      running--;
      queue.shift()?.();
    };
    const waits = uuids.map(async (uuid) => {
      await slot();
      try {
        controller.signal.throwIfAborted();
        const final = await this.#waitFinal(uuid, single);
        return settle(final, "GET", `${COLLECTION}/${uuid}/wait`);
      } finally {
        release();
      }
    });
    for (const wait of waits) wait.catch(() => {});
    try {
      return await combine(waits);
    } catch (error) {
      throw controller.signal.aborted ? controller.signal.reason : error;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      controller.abort(new DOMException("no longer waited for", "AbortError"));
      await Promise.allSettled(waits);
    }
  }

  /**
   * Reads an operation for a waiter that just subscribed (or resynced).
   * Reads asked for in the same tick and scope are batched: one list of
   * the scope's operations answers them all, so 1,000 waits started
   * together cost one request, not 1,000. Operations the list lacks (just
   * created, or gone) are read one by one, for exact answers.
   */
  #catchUp(uuid: string, options: CallOptions, seen: boolean): Promise<Operation> {
    const scope = options.project ?? this.#project ?? "";
    let batch = this.#batches.get(scope);
    if (batch === undefined) {
      const created: CatchUpBatch = new Map();
      batch = created;
      this.#batches.set(scope, created);
      setTimeout(() => this.#flush(scope, created, options.project), 0);
    }
    const pending = Promise.withResolvers<Operation | undefined>();
    const waiters = batch.get(uuid) ?? [];
    waiters.push(pending);
    batch.set(uuid, waiters);
    const answer = options.signal ? abortable(pending.promise, options.signal) : pending.promise;
    return answer.then((found) => found ?? this.#get(uuid, options, seen));
  }

  /** Answers a batch of catch-up reads: one list when several, else nothing (single GETs). */
  async #flush(scope: string, batch: CatchUpBatch, project: string | undefined): Promise<void> {
    this.#batches.delete(scope);
    let found = new Map<string, Operation>();
    if (batch.size > 1 && !this.#transport.closed) {
      try {
        const groups = await this.#fetchList({ project }, 1) as Record<string, Operation[]>;
        found = new Map();
        for (const ops of Object.values(groups)) {
          if (Array.isArray(ops)) { for (const op of ops) found.set(op.id, op); }
        }
      } catch {
        // Each waiter reads its own operation instead.
      }
    }
    for (const [uuid, waiters] of batch) {
      for (const waiter of waiters) waiter.resolve(found.get(uuid));
    }
  }

  /** The shared events connection of a project scope. */
  #hub(project: string | undefined): OperationEventHub {
    const scope = project ?? this.#project;
    const key = scope ?? "";
    let hub = this.#hubs.get(key);
    if (hub === undefined) {
      hub = new OperationEventHub(
        this.#transport,
        eventsQuery({ types: ["operation"] }, scope),
        this.#tuning.hub,
      );
      this.#hubs.set(key, hub);
    }
    return hub;
  }

  /**
   * Closes the shared events connections (waits in progress fall back to
   * `/wait`, which fails at once on a closed client). Called by the
   * client's `close()`.
   *
   * @returns Resolves once every events socket is closed.
   *
   * @example
   * ```ts no-eval
   * import { connect } from "@incusops/operations";
   *
   * const client = connect();
   * await client.operations.closeEvents();
   * ```
   */
  async closeEvents(): Promise<void> {
    const hubs = [...this.#hubs.values()];
    this.#hubs.clear();
    await Promise.all(hubs.map((hub) => hub.close()));
  }

  async #afterWaitError(
    uuid: string,
    error: IncusError,
    options: CallOptions,
    seen: boolean,
  ): Promise<StepResult<Operation>> {
    let operation: Operation;
    try {
      operation = await this.#get(uuid, options, seen);
    } catch (getError) {
      if (!(getError instanceof OperationNotFoundError) || error.status === 404) throw getError;
      // Failed, and already gone: the /wait error was the operation's err.
      throw new OperationFailedError(uuid, error.message, {
        status: error.status,
        method: error.method,
        path: error.path,
      });
    }
    if (isFinal(operation)) return { done: true, value: operation };
    throw error;
  }

  /**
   * Cancels a running operation. Resolves when the server accepted the
   * cancellation.
   *
   * @param id The operation's UUID (or its `/1.0/operations/<uuid>` path).
   * @param options `project`, `signal`.
   * @param mutator Applied to the result (`undefined`).
   * @returns `undefined`, or the mutator's result.
   * @throws {NotCancellableError} The operation cannot be cancelled (`may_cancel: false`) or is over.
   * @throws {OperationNotFoundError} The server does not know it.
   *
   * @example
   * ```ts no-eval
   * import { connect } from "@incusops/operations";
   *
   * await using client = connect();
   * await client.operations.cancel("9a8b7c6d-1234-4abc-9def-0123456789ab");
   * ```
   */
  async cancel<R = void>(
    id: string,
    options: CallOptions = {},
    mutator?: Mutator<void, R>,
  ): Promise<R> {
    const uuid = operationId(id);
    const path = `${COLLECTION}/${uuid}`;
    try {
      await this.#transport.request("DELETE", path, {
        query: this.#query(options.project),
        signal: options.signal,
      });
    } catch (error) {
      if (
        error instanceof IncusError && error.status === 400 && !(error instanceof ConnectionError)
      ) {
        throw new NotCancellableError(
          uuid,
          `operation ${uuid} cannot be cancelled: ${error.message}`,
          error,
        );
      }
      throw this.#notFound(uuid, error, false);
    }
    return await applyMutator(undefined, mutator);
  }

  /**
   * Sends `DELETE /1.0/operations/<id>`. On Incus and LXD deleting an
   * operation *cancels* it (there is no "forget" without cancelling); this
   * is {@linkcode Operations.cancel} under the REST name, with the same
   * errors.
   *
   * @param id The operation's UUID (or its `/1.0/operations/<uuid>` path).
   * @param options `project`, `signal`.
   * @param mutator Applied to the result (`undefined`).
   * @returns `undefined`, or the mutator's result.
   *
   * @example
   * ```ts no-eval
   * import { connect } from "@incusops/operations";
   *
   * await using client = connect();
   * await client.operations.delete("9a8b7c6d-1234-4abc-9def-0123456789ab");
   * ```
   */
  delete<R = void>(
    id: string,
    options: CallOptions = {},
    mutator?: Mutator<void, R>,
  ): Promise<R> {
    return this.cancel(id, options, mutator);
  }

  /**
   * Opens one of a websocket operation's sockets
   * (`/1.0/operations/<id>/websocket?secret=...`) over the client's own
   * connection, resolving once it is open (`binaryType` "arraybuffer"). The
   * secret is URL-encoded and never shown in errors.
   *
   * @param id The operation's UUID (or its `/1.0/operations/<uuid>` path).
   * @param secret One of the secrets in the operation's `metadata.fds`.
   * @param options `signal`.
   * @param mutator Applied to the open socket.
   * @returns The open `WebSocket`, or the mutator's result.
   *
   * @example
   * ```ts no-eval
   * import { connect, type Operation } from "@incusops/operations";
   *
   * await using client = connect();
   * const op = await client.query<Operation>("/1.0/instances/c1/console", {
   *   method: "POST",
   *   body: { type: "console" },
   * });
   * const fds = op.metadata?.fds as Record<string, string>;
   * const socket = await client.operations.websocket(op.id, fds["0"]);
   * socket.close();
   * ```
   */
  async websocket<R = WebSocket>(
    id: string,
    secret: string,
    options: WebSocketOptions = {},
    mutator?: Mutator<WebSocket, R>,
  ): Promise<R> {
    return await applyMutator(
      await openOperationWebSocket(this.#transport, id, secret, options),
      mutator,
    );
  }

  /** Turns a 404 into {@linkcode OperationNotFoundError}; passes others on. */
  #notFound(uuid: string, error: unknown, seen: boolean): unknown {
    if (
      !(error instanceof IncusError) || error.status !== 404 || error instanceof ConnectionError
    ) {
      return error;
    }
    const why = seen
      ? "it finished and the server dropped it (finished operations are kept about 5 s), " +
        "or the daemon restarted"
      : "it never existed in this project, or finished more than about 5 s ago " +
        "(servers keep finished operations briefly)";
    return new OperationNotFoundError(uuid, `operation ${uuid} not found: ${why}`, error);
  }

  /** `query` (already encoded) with the call's or the client's project added, if any. */
  #query(project: string | undefined, query?: string): string | undefined {
    const name = project ?? this.#project;
    if (name === undefined) return query;
    const scope = `project=${encodeURIComponent(name)}`;
    return query === undefined ? scope : `${query}&${scope}`;
  }
}

/** Resolves a final operation, or throws the error its status means. */
export function settle(operation: Operation, method: string, path: string): Operation {
  switch (operation.status_code) {
    case StatusCode.Success:
      return operation;
    case StatusCode.Cancelled:
      throw new OperationCancelledError(operation.id, { status: 401, method, path, operation });
    default:
      throw new OperationFailedError(operation.id, operation.err || operation.status, {
        status: operation.status_code,
        method,
        path,
        operation,
      });
  }
}

/** The id at the end of an operation URL (`/1.0/operations/<id>?project=x`). */
function idFromUrl(url: string): string {
  const end = url.indexOf("?");
  const path = end === -1 ? url : url.slice(0, end);
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Flattens the status groups into one list, oldest first. */
function sortOldestFirst(byStatus: Record<string, Operation[]>): Operation[] {
  const all: Operation[] = [];
  for (const ops of Object.values(byStatus)) {
    if (Array.isArray(ops)) { for (const op of ops) all.push(op); }
  }
  // ISO-8601 timestamps from one server compare as text when their offsets
  // match; Date.parse handles mixed offsets, the text breaks ms ties.
  const keyed = all.map((op) => ({ op, ms: Date.parse(op.created_at), text: op.created_at }));
  keyed.sort((a, b) => a.ms - b.ms || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
  return keyed.map((entry) => entry.op);
}
