/**
 * `client.events()`: the daemon's `/1.0/events` stream as an async
 * iterator of typed events, over the client's own Unix or TLS connection.
 *
 * @module
 */

import { INCUS_DEFAULTS } from "./defaults.ts";
import { scopeQuery } from "./call_scope.ts";
import { ConnectionError, ProtocolError } from "../core/errors.ts";
import { invalidArgument } from "../core/validate.ts";
import { parseJson } from "../core/body.ts";
import type {
  EventBase,
  EventsOptions,
  EventType,
  IncusEvent,
  QueueLimits,
} from "./event_types.ts";
import type { Transport } from "./transport/transport.ts";
import { closeIfOpen, closeWebSocket } from "../core/websocket.ts";
import { type EventSocket, eventSocket } from "./transport/event_socket.ts";
import { openPacedWebSocket } from "./transport/paced_handshake.ts";

const TYPE = /^[a-z][a-z0-9-]{0,63}$/;

/** The request an error of the event stream from `endpoint` names. */
const eventsRequest = (endpoint: string) =>
  ({ status: 0, method: "GET", path: "/1.0/events", endpoint }) as const;

/** Checks the options and builds the `/1.0/events` query. */
export function eventsQuery(
  options: EventsOptions<readonly EventType[]>,
  project: string | undefined,
): string {
  const params = new URLSearchParams();
  if (options.types !== undefined) {
    if (!Array.isArray(options.types) || options.types.some((t) => !TYPE.test(String(t)))) {
      throw invalidArgument("event types", options.types, 'names like "operation"');
    }
    if (options.types.length > 0) params.set("type", options.types.join(","));
  }
  if (options.allProjects) params.set("all-projects", "true");
  return scopeQuery({ project: options.allProjects ? undefined : project }, params.toString()) ??
    "";
}

/**
 * Opens `/1.0/events?query` on a connection of its own to the transport's
 * daemon (one that can be unref'd while idle: {@linkcode EventSocket}).
 */
export async function openEventSocket(
  transport: Transport,
  query: string,
  signal?: AbortSignal,
): Promise<EventSocket> {
  const refused = "no such project, or this client may not read events";
  return eventSocket(await openPacedWebSocket(transport, "/1.0/events", query, refused, signal));
}

/** Decodes one event message; throws {@linkcode ProtocolError} for garbage. */
export function decodeEvent(data: unknown, endpoint: string): IncusEvent {
  const event = typeof data === "string" ? parseJson(data) : undefined;
  if (
    event === null || typeof event !== "object" || typeof (event as IncusEvent).type !== "string"
  ) {
    throw new ProtocolError(
      `/1.0/events: ${endpoint} sent something that is not an event`,
      eventsRequest(endpoint),
    );
  }
  return event as IncusEvent;
}

/**
 * Unread events, bounded in count (`maxQueued`) and bytes
 * (`maxQueuedBytes`): the rule of every queue the client keeps for a slow
 * reader (an event stream, a watch).
 */
export class EventQueue<T> {
  readonly #items: [T, number][] = [];
  #bytes = 0;
  readonly #max: [count: number, bytes: number];
  readonly #endpoint: string;
  readonly #what: string;
  /** Why the queue was dropped (a bound passed), if it was. */
  error: ProtocolError | undefined;

  /**
   * @param limits `maxQueued`, `maxQueuedBytes` (each an integer >= 1, else `InvalidArgumentError`).
   * @param endpoint The daemon, for the error.
   * @param what What ends past a bound ("the stream"), for the error.
   */
  constructor(limits: QueueLimits, endpoint: string, what: string) {
    const maxQueued = limits.maxQueued ?? INCUS_DEFAULTS.maxQueued;
    const maxQueuedBytes = limits.maxQueuedBytes ?? INCUS_DEFAULTS.maxQueuedBytes;
    for (const [name, value] of Object.entries({ maxQueued, maxQueuedBytes })) {
      if (!(Number.isInteger(value) && value >= 1)) {
        throw invalidArgument(name, value, "an integer >= 1");
      }
    }
    this.#max = [maxQueued, maxQueuedBytes];
    this.#endpoint = endpoint;
    this.#what = what;
  }

  /**
   * Queues `item` of `bytes`. Past a bound, drops every item, keeps nothing
   * more and returns the `ProtocolError` naming the bound and the option.
   */
  push(item: T, bytes: number): ProtocolError | undefined {
    if (this.error !== undefined) return;
    this.#items.push([item, bytes]);
    this.#bytes += bytes;
    const [count, size] = this.#max;
    const over = this.#items.length > count
      ? [`${count} events`, "maxQueued"]
      : this.#bytes > size
      ? [`${size} bytes of events`, "maxQueuedBytes"]
      : undefined;
    if (over === undefined) return;
    this.#items.length = this.#bytes = 0;
    return this.error = new ProtocolError(
      `/1.0/events: the reader fell more than ${over[0]} behind ${this.#endpoint}; ${this.#what} ` +
        `was closed and its queued events dropped (read faster, or raise ${over[1]})`,
      eventsRequest(this.#endpoint),
    );
  }

  /** The oldest item, removed; `undefined` when empty. */
  shift(): T | undefined {
    const entry = this.#items.shift();
    if (entry !== undefined) this.#bytes -= entry[1];
    return entry?.[0];
  }
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
  /** Unread events, each counted by its text's length. */
  readonly #queue: EventQueue<IncusEvent>;
  readonly #endpoint: string;
  #socket: WebSocket | undefined;
  #waiting: PromiseWithResolvers<void> | undefined;
  #error: unknown;
  #ended = false;
  #signal: AbortSignal | undefined;
  #onAbort = () => this.#end();
  #onEnd: (() => void) | undefined;

  /**
   * Made by `client.events()`; not meant to be constructed directly.
   *
   * @param transport The client's transport.
   * @param query The `/1.0/events` query.
   * @param signal Ends the stream.
   * @param onEnd Called once when the stream ends.
   * @param limits `maxQueued` and `maxQueuedBytes` (see {@linkcode EventsOptions}).
   * @param location Only events of this cluster member.
   * @param known Checks that `location` names a cluster member (rejects when not).
   */
  constructor(
    transport: Transport,
    query: string,
    signal?: AbortSignal,
    onEnd?: () => void,
    limits: QueueLimits = {},
    location?: string,
    known?: (location: string) => Promise<unknown>,
  ) {
    this.#endpoint = transport.endpoint;
    this.#queue = new EventQueue(limits, this.#endpoint, "the stream");
    this.#signal = signal;
    this.#onEnd = onEnd;
    if (signal?.aborted) {
      this.#ended = true;
      this.opened = Promise.resolve();
      return;
    }
    signal?.addEventListener("abort", this.#onAbort, { once: true });
    const open = () => openEventSocket(transport, query, signal);
    this.opened = (location && known ? known(location).then(open) : open()).then((socket) => {
      if (this.#ended) {
        socket.close();
        return;
      }
      this.#socket = socket;
      socket.addEventListener("message", (message) => {
        if (this.#ended) return; // closing: nothing more is kept
        try {
          const event = decodeEvent(message.data, this.#endpoint);
          if (location === undefined || event.location === location) {
            const behind = this.#queue.push(event, message.data.length);
            if (behind !== undefined) this.#fail(behind);
          }
        } catch (error) {
          this.#fail(error);
        }
        this.#wake();
      });
      socket.addEventListener("close", () => {
        if (!this.#ended) {
          this.#fail(
            socket.error ?? new ConnectionError(
              `/1.0/events: ${this.#endpoint} closed the event stream`,
              eventsRequest(this.#endpoint),
            ),
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
