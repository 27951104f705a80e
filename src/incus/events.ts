/**
 * `client.events()`: the daemon's `/1.0/events` stream as an async
 * iterator of typed events, over the client's own Unix or TLS connection.
 *
 * @module
 */

import { withProject } from "./project.ts";
import { ConnectionError, InvalidArgumentError, ProtocolError } from "../core/errors.ts";
import { describeValue } from "../core/validate.ts";
import type { Operation } from "./operation.ts";
import type { Transport } from "./transport/transport.ts";
import { closeIfOpen, closeWebSocket } from "./transport/websocket.ts";
import { type EventSocket, eventSocket } from "./transport/event_socket.ts";
import { openPacedWebSocket } from "./transport/paced_websocket.ts";

/**
 * Event types the daemons send (`network-acl`: Incus's network ACL logs);
 * others may come with newer daemons.
 *
 * @example
 * ```ts
 * import type { EventType } from "@incusops/operations";
 *
 * const types: EventType[] = ["operation", "lifecycle"];
 * console.log(types);
 * ```
 */
export type EventType =
  | "operation"
  | "logging"
  | "lifecycle"
  | "network-acl"
  | (string & Record<never, never>);

/**
 * What every event from `/1.0/events` holds; `type` tells what `metadata`
 * is.
 *
 * @typeParam T The event type.
 * @typeParam M Its metadata.
 *
 * @example
 * ```ts
 * import type { EventBase } from "@incusops/operations";
 *
 * const event: EventBase<"ovn", unknown> = {
 *   type: "ovn",
 *   timestamp: "2026-01-01T00:00:00Z",
 *   metadata: {},
 * };
 * console.log(event.type);
 * ```
 */
export interface EventBase<T extends string = string, M = unknown> {
  /** `operation`, `logging`, `lifecycle`, ... */
  type: T;
  /** When the daemon sent it (RFC 3339). */
  timestamp: string;
  /** The project it belongs to (absent on old daemons). */
  project?: string;
  /** The cluster member it comes from (`none` outside clusters). */
  location?: string;
  /** What happened: for `operation` events, the operation. */
  metadata: M;
}

/**
 * An event about an operation: its metadata is the whole operation.
 *
 * @example
 * ```ts
 * import type { IncusEvent } from "@incusops/operations";
 *
 * function describe(event: IncusEvent): string {
 *   return event.type === "operation" ? event.metadata.status : event.type;
 * }
 * console.log(describe({ type: "logging", timestamp: "", metadata: { message: "hi", level: "info", context: {} } }));
 * ```
 */
export interface OperationEvent extends EventBase<"operation", Operation> {}

/**
 * The metadata of a `logging` (and `network-acl`) event: one line of the
 * daemon's log (admin clients only).
 *
 * @example
 * ```ts
 * import type { LoggingMetadata } from "@incusops/operations";
 *
 * const line: LoggingMetadata = { message: "Started", level: "info", context: {} };
 * console.log(line.message);
 * ```
 */
export interface LoggingMetadata {
  /** The log message. */
  message: string;
  /** Its level: `debug`, `info`, `warning`, `error`, ... */
  level: string;
  /** Key/value context of the line. */
  context: Record<string, string>;
}

/** A line of the daemon's log. */
export interface LoggingEvent extends EventBase<"logging", LoggingMetadata> {}

/** A line of Incus's network ACL log. */
export interface NetworkAclEvent extends EventBase<"network-acl", LoggingMetadata> {}

/**
 * Who asked for a lifecycle change (API extension `event_lifecycle_requestor`).
 *
 * @example
 * ```ts
 * import type { LifecycleRequestor } from "@incusops/operations";
 *
 * const who: LifecycleRequestor = { username: "root", protocol: "unix", address: "@" };
 * console.log(who.username);
 * ```
 */
export interface LifecycleRequestor {
  /** The user name (or certificate fingerprint). */
  username: string;
  /** How they authenticated: `unix`, `tls`, `oidc`, ... */
  protocol: string;
  /** Their address (API extension `event_lifecycle_requestor_address`). */
  address?: string;
}

/**
 * The metadata of a `lifecycle` event: something was created, started,
 * renamed, deleted...
 *
 * @example
 * ```ts
 * import type { LifecycleMetadata } from "@incusops/operations";
 *
 * const change: LifecycleMetadata = { action: "instance-started", source: "/1.0/instances/c1" };
 * console.log(change.action);
 * ```
 */
export interface LifecycleMetadata {
  /** What happened, e.g. `instance-started`, `operation-cancelled`. */
  action: string;
  /** The API URL of the object, e.g. `/1.0/instances/c1`. */
  source: string;
  /** Details of the action. */
  context?: Record<string, unknown>;
  /** Who asked for it. */
  requestor?: LifecycleRequestor;
  /** The object's name (API extension `event_lifecycle_name_and_project`). */
  name?: string;
  /** The object's project (API extension `event_lifecycle_name_and_project`). */
  project?: string;
}

/** A lifecycle event. */
export interface LifecycleEvent extends EventBase<"lifecycle", LifecycleMetadata> {}

/**
 * One event from `/1.0/events`, narrowed by `type`: after
 * `event.type === "operation"` its `metadata` is an {@linkcode Operation}.
 * An unfiltered stream from a daemon newer than this library may also carry
 * types not listed here; ask for them by name in `types` to get an
 * {@linkcode EventBase} of that type with `unknown` metadata.
 *
 * @example Narrow on `type`
 * ```ts
 * import type { IncusEvent } from "@incusops/operations";
 *
 * function line(event: IncusEvent): string {
 *   switch (event.type) {
 *     case "operation":
 *       return `${event.metadata.id} ${event.metadata.status}`;
 *     case "lifecycle":
 *       return `${event.metadata.action} ${event.metadata.source}`;
 *     default:
 *       return event.metadata.message;
 *   }
 * }
 * console.log(line({ type: "lifecycle", timestamp: "", metadata: { action: "instance-started", source: "/1.0/instances/c1" } }));
 * ```
 */
export type IncusEvent = OperationEvent | LoggingEvent | LifecycleEvent | NetworkAclEvent;

/**
 * The event type a stream of `types` yields: `EventFor<"operation">` is
 * {@linkcode OperationEvent}; a union of names gives a union of events; any
 * `string` (or no types) gives {@linkcode IncusEvent}; a name this library
 * does not know gives an {@linkcode EventBase} with `unknown` metadata.
 *
 * @typeParam T The names in `types`.
 *
 * @example
 * ```ts
 * import type { EventFor, OperationEvent } from "@incusops/operations";
 *
 * const event: EventFor<"operation"> = {} as OperationEvent;
 * console.log(event);
 * ```
 */
export type EventFor<T extends string> = [T] extends [never] ? IncusEvent
  : string extends T ? IncusEvent
  : T extends IncusEvent["type"] ? Extract<IncusEvent, { type: T }>
  : EventBase<T, unknown>;

/**
 * Options of `client.events()`.
 *
 * @typeParam T The event types asked for (inferred from `types`).
 */
export interface EventsOptions<T extends readonly EventType[] = readonly EventType[]> {
  /**
   * Which types to receive; the stream's element type follows them
   * (`["operation"]` gives {@linkcode OperationEvent}s).
   *
   * @default {undefined} (every type the daemon sends)
   */
  types?: T;
  /**
   * The project.
   *
   * @default {undefined} (the client's project, else the daemon's default)
   */
  project?: string;
  /**
   * Events of every project.
   *
   * @default {false}
   */
  allProjects?: boolean;
  /** Ends the stream: the iteration finishes cleanly (no error). */
  signal?: AbortSignal;
  /**
   * The most events kept unread. A reader that falls further behind a
   * flooding daemon ends the stream: its socket is closed at once (memory
   * stays bounded), the queued events are dropped, and the next read
   * rejects with a {@linkcode ConnectionError} saying so (events were lost
   * from then on: subscribe again and re-read what you track).
   *
   * @default {10_000}
   */
  maxQueued?: number;
  /**
   * On a cluster: only the events of this member (their `location`). A
   * member streams every member's events, and the daemons ignore `target`
   * on `/1.0/events`, so the client filters.
   */
  target?: string;
}

/** The most events an {@linkcode EventStream} keeps unread by default. */
export const DEFAULT_MAX_QUEUED_EVENTS = 10_000;

const TYPE = /^[a-z][a-z0-9-]{0,63}$/;

/** Checks the options and builds the `/1.0/events` query. */
export function eventsQuery(
  options: EventsOptions<readonly EventType[]>,
  defaultProject: string | undefined,
): string {
  const params = new URLSearchParams();
  if (options.types !== undefined) {
    if (!Array.isArray(options.types) || options.types.some((t) => !TYPE.test(String(t)))) {
      throw new InvalidArgumentError(
        `invalid event types ${describeValue(options.types)}: expected names like "operation"`,
      );
    }
    if (options.types.length > 0) params.set("type", options.types.join(","));
  }
  if (options.allProjects) params.set("all-projects", "true");
  const project = options.allProjects ? undefined : options.project ?? defaultProject;
  return withProject(params.toString(), project) ?? "";
}

/**
 * Opens `/1.0/events?query` on a connection of its own to the transport's
 * daemon (one that can be unref'd while idle, see {@linkcode refSocket}).
 */
export async function openEventSocket(
  transport: Transport,
  query: string,
  signal?: AbortSignal,
): Promise<EventSocket> {
  const paced = await openPacedWebSocket(
    transport,
    "/1.0/events",
    query,
    "no such project, or this client may not read events",
    signal,
  );
  return eventSocket(paced);
}

/** Decodes one event message; throws {@linkcode ProtocolError} for garbage. */
export function decodeEvent(data: unknown, target: string): IncusEvent {
  let event: unknown;
  try {
    event = typeof data === "string" ? JSON.parse(data) : undefined;
  } catch {
    event = undefined;
  }
  if (
    event === null || typeof event !== "object" || typeof (event as IncusEvent).type !== "string"
  ) {
    throw new ProtocolError(`/1.0/events: ${target} sent something that is not an event`, {
      status: 0,
      method: "GET",
      path: "/1.0/events",
      target,
    });
  }
  return event as IncusEvent;
}

/**
 * The daemon's event stream, from `client.events()`: iterate it with
 * `for await`. It subscribes at once (await {@linkcode EventStream.opened}
 * to know events from now on will arrive), ends cleanly when the options'
 * `signal` aborts or {@linkcode EventStream.close} is called, and throws a
 * {@linkcode ConnectionError} if the daemon drops it.
 *
 * @typeParam E The events it yields: {@linkcode EventFor} the `types` asked for.
 *
 * @example A stream of operation events: `metadata` is the operation
 * ```ts
 * import { connect } from "@incusops/operations";
 * import { FakeDaemon } from "@incusops/operations/testing";
 *
 * await using daemon = await FakeDaemon.start();
 * await using client = connect({ socket: daemon.path });
 * await using events = client.events({ types: ["operation"] });
 * await events.opened;
 * const op = daemon.createOperation({ durationMs: 10 });
 * for await (const event of events) {
 *   console.log(event.metadata.id === op.id, event.metadata.status); // true "Running", then "Success"
 *   if (event.metadata.status === "Success") break;
 * }
 * ```
 */
export class EventStream<E extends EventBase = IncusEvent>
  implements AsyncIterableIterator<E, undefined>, AsyncDisposable {
  /** Resolves once subscribed; rejects if the daemon refused. */
  readonly opened: Promise<void>;
  #queue: IncusEvent[] = [];
  readonly #maxQueued: number;
  readonly #target: string;
  #socket: WebSocket | undefined;
  #waiting: PromiseWithResolvers<void> | undefined;
  #error: unknown;
  #ended = false;
  #signal: AbortSignal | undefined;
  #onAbort = () => this.#end();
  #onEnd: (() => void) | undefined;
  readonly #location: string | undefined;

  /**
   * Made by `client.events()`; not meant to be constructed directly.
   *
   * @param transport The client's transport.
   * @param query The `/1.0/events` query.
   * @param signal Ends the stream.
   * @param onEnd Called once when the stream ends.
   * @param maxQueued The most events kept unread (see {@linkcode EventsOptions.maxQueued}).
   * @param location Only events of this cluster member.
   */
  constructor(
    transport: Transport,
    query: string,
    signal?: AbortSignal,
    onEnd?: () => void,
    maxQueued: number | undefined = DEFAULT_MAX_QUEUED_EVENTS,
    location?: string,
  ) {
    maxQueued ??= DEFAULT_MAX_QUEUED_EVENTS;
    if (!Number.isInteger(maxQueued) || maxQueued < 1) {
      throw new InvalidArgumentError(
        `invalid maxQueued ${describeValue(maxQueued)}: expected an integer >= 1`,
      );
    }
    this.#target = transport.target;
    this.#maxQueued = maxQueued;
    this.#location = location;
    this.#signal = signal;
    this.#onEnd = onEnd;
    if (signal?.aborted) {
      this.#ended = true;
      this.opened = Promise.resolve();
      return;
    }
    signal?.addEventListener("abort", this.#onAbort, { once: true });
    this.opened = openEventSocket(transport, query, signal).then((socket) => {
      if (this.#ended) {
        socket.close();
        return;
      }
      this.#socket = socket;
      socket.addEventListener("message", (message) => {
        if (this.#ended) return; // closing: nothing more is kept
        try {
          const event = decodeEvent(message.data, this.#target);
          if (this.#location === undefined || event.location === this.#location) {
            this.#queue.push(event);
          }
        } catch (error) {
          this.#fail(error);
        }
        if (this.#queue.length > this.#maxQueued) this.#overflow();
        this.#wake();
      });
      socket.addEventListener("close", () => {
        if (!this.#ended) {
          this.#fail(
            new ConnectionError(`/1.0/events: ${this.#target} closed the event stream`, {
              status: 0,
              method: "GET",
              path: "/1.0/events",
              target: this.#target,
            }),
          );
        }
        this.#wake();
      });
    }, (error) => {
      if (!this.#ended) this.#fail(error);
      this.#wake();
      throw error;
    });
    this.opened.catch(() => {});
  }

  /**
   * The next event; `done` once the stream ended.
   *
   * @returns The next event, or the end.
   *
   * @example
   * ```ts
   * import { connect } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * await using client = connect({ socket: daemon.path });
   * await using events = client.events({ types: ["lifecycle"] });
   * await events.opened;
   * daemon.emitEvent("lifecycle", { action: "instance-started", source: "/1.0/instances/c1" });
   * const { value } = await events.next();
   * console.log(value?.metadata.action); // "instance-started"
   * ```
   */
  async next(): Promise<IteratorResult<E, undefined>> {
    for (;;) {
      // Once ended by the caller (abort, close), nothing more is delivered.
      const event = this.#ended && this.#error === undefined ? undefined : this.#queue.shift();
      // The daemon sends only the types asked for, so the cast holds.
      if (event !== undefined) return { done: false, value: event as EventBase as E };
      if (this.#error !== undefined) {
        const error = this.#error;
        this.#error = undefined;
        await this.close();
        throw error;
      }
      if (this.#ended) {
        await this.close();
        return { done: true, value: undefined };
      }
      this.#waiting = Promise.withResolvers();
      await this.#waiting.promise;
    }
  }

  /**
   * Ends the stream (called by `break` in a `for await`).
   *
   * @returns The end.
   *
   * @example
   * ```ts
   * import { connect } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * await using client = connect({ socket: daemon.path });
   * const events = client.events();
   * console.log(await events.return()); // { done: true, value: undefined }
   * ```
   */
  async return(): Promise<IteratorResult<E, undefined>> {
    await this.close();
    return { done: true, value: undefined };
  }

  /**
   * Closes the stream and resolves once its socket is closed.
   *
   * @example
   * ```ts
   * import { connect } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * await using client = connect({ socket: daemon.path });
   * const events = client.events();
   * await events.close();
   * console.log((await events.next()).done); // true
   * ```
   */
  async close(): Promise<void> {
    this.#end();
    await this.opened.catch(() => {});
    if (this.#socket !== undefined) await closeWebSocket(this.#socket);
  }

  /**
   * This stream, for `for await`.
   *
   * @returns The stream itself.
   *
   * @example
   * ```ts
   * import { connect } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * await using client = connect({ socket: daemon.path });
   * const controller = new AbortController();
   * const events = client.events({ signal: controller.signal });
   * await events.opened;
   * daemon.emitEvent("logging", { message: "hello", level: "info", context: {} });
   * for await (const event of events) {
   *   if (event.type === "logging") console.log(event.metadata.message); // "hello"
   *   controller.abort();
   * }
   * ```
   */
  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Same as {@linkcode EventStream.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #end(): void {
    if (!this.#ended) {
      this.#ended = true;
      this.#signal?.removeEventListener("abort", this.#onAbort);
      this.#onEnd?.();
    }
    if (this.#socket !== undefined) closeIfOpen(this.#socket);
    this.#wake();
  }

  /** The reader fell more than `maxQueued` events behind: drop the queue and end with an error. */
  #overflow(): void {
    this.#queue = [];
    this.#fail(
      new ConnectionError(
        `/1.0/events: the reader fell more than ${this.#maxQueued} events behind ` +
          `${this.#target}; the stream was closed and its queued events dropped (read faster, ` +
          `or raise maxQueued)`,
        { status: 0, method: "GET", path: "/1.0/events", target: this.#target },
      ),
    );
  }

  #fail(error: unknown): void {
    if (this.#error === undefined && !this.#ended) this.#error = error;
    this.#end();
  }

  #wake(): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.resolve();
  }
}
