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
import { closeIfOpen, closeWebSocket, openWebSocket } from "./transport/websocket.ts";

/** Event types the daemons send; others may come with newer daemons. */
export type EventType = "operation" | "logging" | "lifecycle" | (string & Record<never, never>);

/** One event from `/1.0/events`. */
export interface IncusEvent<M = unknown> {
  /** `operation`, `logging`, `lifecycle`, ... */
  type: EventType;
  /** When the daemon sent it (RFC 3339). */
  timestamp: string;
  /** The project it belongs to (absent on old daemons). */
  project?: string;
  /** The cluster member it comes from (`none` outside clusters). */
  location?: string;
  /** What happened: for `operation` events, the operation. */
  metadata: M;
}

/** An event about an operation: its metadata is the whole operation. */
export interface OperationEvent extends IncusEvent<Operation> {
  /** Always `operation`. */
  type: "operation";
}

/** Options of `client.events()`. */
export interface EventsOptions {
  /** Which types to receive (default: all the daemon sends). */
  types?: EventType[];
  /** The project (default: the client's, else the daemon's default). */
  project?: string;
  /** Events of every project. */
  allProjects?: boolean;
  /** Ends the stream: the iteration finishes cleanly (no error). */
  signal?: AbortSignal;
}

const TYPE = /^[a-z][a-z0-9-]{0,63}$/;

/** Checks the options and builds the `/1.0/events` query. */
export function eventsQuery(options: EventsOptions, defaultProject: string | undefined): string {
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

/** Opens `/1.0/events?query` on the transport's connection. */
export async function openEventSocket(
  transport: Transport,
  query: string,
  signal?: AbortSignal,
): Promise<WebSocket> {
  return await openWebSocket(
    transport,
    "/1.0/events",
    query,
    "no such project, or this client may not read events",
    { signal },
  );
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
 * @example
 * ```ts no-eval
 * import { connect } from "@incusops/operations";
 *
 * await using client = connect();
 * await using events = client.events({ types: ["operation"] });
 * for await (const event of events) {
 *   console.log(event.type, event.metadata);
 * }
 * ```
 */
export class EventStream implements AsyncIterableIterator<IncusEvent>, AsyncDisposable {
  /** Resolves once subscribed; rejects if the daemon refused. */
  readonly opened: Promise<void>;
  readonly #queue: IncusEvent[] = [];
  readonly #target: string;
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
   */
  constructor(transport: Transport, query: string, signal?: AbortSignal, onEnd?: () => void) {
    this.#target = transport.target;
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
        try {
          this.#queue.push(decodeEvent(message.data, this.#target));
        } catch (error) {
          this.#fail(error);
        }
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
   * ```ts no-eval
   * import { connect } from "@incusops/operations";
   *
   * await using client = connect();
   * await using events = client.events({ types: ["lifecycle"] });
   * const { value } = await events.next();
   * console.log(value?.metadata);
   * ```
   */
  async next(): Promise<IteratorResult<IncusEvent>> {
    for (;;) {
      // Once ended by the caller (abort, close), nothing more is delivered.
      const event = this.#ended && this.#error === undefined ? undefined : this.#queue.shift();
      if (event !== undefined) return { done: false, value: event };
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
   * ```ts no-eval
   * import { connect } from "@incusops/operations";
   *
   * await using client = connect();
   * const events = client.events();
   * await events.return();
   * ```
   */
  async return(): Promise<IteratorResult<IncusEvent>> {
    await this.close();
    return { done: true, value: undefined };
  }

  /**
   * Closes the stream and resolves once its socket is closed.
   *
   * @example
   * ```ts no-eval
   * import { connect } from "@incusops/operations";
   *
   * await using client = connect();
   * const events = client.events();
   * await events.close();
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
   * ```ts no-eval
   * import { connect } from "@incusops/operations";
   *
   * await using client = connect();
   * for await (const event of client.events({ signal: AbortSignal.timeout(5_000) })) {
   *   console.log(event.type);
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
