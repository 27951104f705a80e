/**
 * The shared `/1.0/events` connection of a client's project
 * ({@linkcode OperationEventHub}), feeding every waiter and watcher of the
 * client: it opens on the first subscriber, closes
 * shortly after the last one leaves, reconnects with backoff when dropped
 * (telling subscribers to catch up, since events were lost), treats a long
 * silence as a dead connection, and reports when events cannot be had so
 * callers fall back to `/wait`; and what a subscriber is told
 * ({@linkcode Notice}), queued in its {@linkcode Inbox}.
 *
 * @module
 */

import { pause } from "../../core/pause.ts";
import { INCUS_DEFAULTS } from "../defaults.ts";
import { abortable } from "../../core/signals.ts";
import { decodeEvent, EventQueue, openEventSocket } from "../events.ts";
import type { EventSocket } from "../transport/event_socket.ts";
import type { Operation } from "../operation.ts";
import { backoffDelay } from "../../core/poll.ts";
import type { Transport } from "../transport/transport.ts";
import { closeIfOpen, closeWebSocket } from "../../core/websocket.ts";

/**
 * Timing of the shared events connection: `connect({ events: { ... } })`
 * takes any of these.
 *
 * @example
 * ```ts
 * import type { HubSettings } from "@incusops/operations";
 *
 * const events: Partial<HubSettings> = { silenceMs: 10_000, resyncMs: 1_000 };
 * console.log(events.silenceMs);
 * ```
 */
export interface HubSettings {
  /**
   * Silence after which the connection counts as dead and is replaced, ms.
   *
   * @default {30_000}
   */
  silenceMs: number;
  /**
   * How long the connection stays open without subscribers, ms.
   *
   * @default {1_000}
   */
  idleMs: number;
  /**
   * How long to keep reconnecting before telling subscribers `lost` (they
   * fall back to `/wait` long-polls), ms.
   *
   * @default {10_000}
   */
  reconnectForMs: number;
  /**
   * After a failure to open (events refused), how long to not try again, ms.
   *
   * @default {30_000}
   */
  unavailableForMs: number;
  /**
   * After the connection opens, when subscribers read their operations
   * once more, ms. The daemons answer the websocket upgrade before they
   * register the listener, so an operation that ends in that gap sends its
   * final event to nobody.
   *
   * @default {500}
   */
  settleMs: number;
  /**
   * Without news of an operation for this long, its subscribers read it
   * again, ms (one batched list answers them all). Incus and LXD forget a
   * finished operation ~5 s after it ends: a final event that never came
   * (one was seen lost on LXD 5.0.2 under load) or fell into a reconnect
   * then costs at most this long, instead of failing the wait with
   * `OperationNotFoundError`.
   *
   * @default {2_000}
   */
  resyncMs: number;
}

/**
 * What a subscriber is told: a new state of its operation; `resync` (the
 * connection was re-established and events may have been lost: read the
 * operation again); `lost` (no events any more: fall back to polling).
 */
export type Notice =
  | { kind: "update"; operation: Operation; bytes: number }
  | { kind: "resync" }
  | { kind: "lost" };

/**
 * A subscriber's queue of notices: `take()` resolves with the next one, or
 * rejects with the signal's reason. Bounded as an event stream's queue (an
 * update counting its event's text): past a bound the notices are
 * dropped, and `take()` rejects with the `ProtocolError` naming the bound.
 */
export class Inbox extends EventQueue<Notice> {
  #waiting: ((notice: Notice) => void) | undefined;

  /** Adds a notice (the hub's listener). */
  readonly notify = (notice: Notice): void => {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (waiting !== undefined) waiting(notice);
    else this.push(notice, notice.kind === "update" ? notice.bytes : 0);
  };

  /** The next notice. */
  take(signal: AbortSignal): Promise<Notice> {
    const notice = this.shift();
    if (notice !== undefined || this.error !== undefined) {
      return notice !== undefined ? Promise.resolve(notice) : Promise.reject(this.error);
    }
    return abortable(new Promise<Notice>((resolve) => this.#waiting = resolve), signal);
  }
}

const RECONNECT_BACKOFF = { initial: 100, multiplier: 1.3, max: 2_000, jitter: true };

type Listener = (notice: Notice) => void;

/** The shared events connection of one project scope. */
export class OperationEventHub {
  readonly #transport: Transport;
  readonly #query: string;
  readonly #settings: HubSettings;
  readonly #listeners = new Map<string, Set<Listener>>();
  /** When each subscribed operation was last heard of (event or read), `performance.now()`. */
  readonly #lastNews = new Map<string, number>();
  #sweeper: ReturnType<typeof setInterval> | undefined;
  #count = 0;
  #socket: EventSocket | undefined;
  #opening: Promise<boolean> | undefined;
  #unavailableUntil = 0;
  #lastMessage = 0;
  #idle: ReturnType<typeof setTimeout> | undefined;
  #settle: ReturnType<typeof setTimeout> | undefined;
  #reconnecting = false;
  #closed = new AbortController();

  /**
   * @param transport The client's transport.
   * @param query The `/1.0/events` query of this scope.
   * @param settings Timing overrides.
   */
  constructor(transport: Transport, query: string, settings: Partial<HubSettings> = {}) {
    this.#transport = transport;
    this.#query = query;
    this.#settings = { ...INCUS_DEFAULTS.events, ...settings };
  }

  /**
   * Subscribes to the notices of operation `id` and resolves once events
   * flow, with the function that unsubscribes; or with `undefined` when
   * events are unavailable (the caller falls back to `/wait`). Rejects
   * with the signal's reason when `signal` aborts.
   */
  async subscribe(
    id: string,
    listener: Listener,
    signal: AbortSignal,
  ): Promise<(() => void) | undefined> {
    if (this.#closed.signal.aborted || performance.now() < this.#unavailableUntil) return undefined;
    let set = this.#listeners.get(id);
    if (set === undefined) this.#listeners.set(id, set = new Set());
    set.add(listener);
    this.#lastNews.set(id, performance.now()); // the subscriber reads it right away
    if (this.#count++ === 0) this.#startSweeper();
    this.#socket?.ref(); // in use: keeps the process alive
    clearTimeout(this.#idle);
    let subscribed = true;
    const unsubscribe = () => {
      if (!subscribed) return;
      subscribed = false;
      set.delete(listener);
      if (set.size === 0) {
        this.#listeners.delete(id);
        this.#lastNews.delete(id);
      }
      if (--this.#count === 0) {
        clearInterval(this.#sweeper);
        this.#scheduleIdleClose();
      }
    };
    try {
      // Open already: no race to set up (the common case of a busy client).
      const ready = this.#socket?.readyState === WebSocket.OPEN ||
        await abortable(this.#ensureOpen(), signal);
      if (!ready) unsubscribe();
      return ready ? unsubscribe : undefined;
    } catch (error) {
      unsubscribe();
      throw error;
    }
  }

  /** Closes the connection and tells every subscriber `lost`; resolves once it is closed. */
  async close(): Promise<void> {
    this.#closed.abort();
    clearTimeout(this.#idle);
    clearTimeout(this.#settle);
    clearInterval(this.#sweeper);
    const socket = this.#socket;
    this.#socket = undefined;
    this.#broadcast({ kind: "lost" });
    if (socket !== undefined) await closeWebSocket(socket);
    await this.#opening?.catch(() => {});
  }

  #ensureOpen(): Promise<boolean> {
    if (this.#socket !== undefined && this.#socket.readyState === WebSocket.OPEN) {
      return Promise.resolve(true);
    }
    this.#opening ??= this.#open().finally(() => this.#opening = undefined);
    return this.#opening;
  }

  async #open(): Promise<boolean> {
    try {
      const socket = await openEventSocket(this.#transport, this.#query, this.#closed.signal);
      if (this.#closed.signal.aborted) {
        closeIfOpen(socket);
        return false;
      }
      this.#attach(socket);
      return true;
    } catch {
      this.#unavailableUntil = performance.now() + this.#settings.unavailableForMs;
      return false;
    }
  }

  #attach(socket: EventSocket): void {
    this.#socket = socket;
    this.#lastMessage = performance.now();
    socket.addEventListener("message", (message) => {
      this.#lastMessage = performance.now();
      let operation: Operation;
      try {
        const event = decodeEvent(message.data, this.#transport.endpoint);
        if (event.type !== "operation") return;
        operation = event.metadata as Operation;
      } catch {
        return; // one bad message is not worth the connection
      }
      const listeners = this.#listeners.get(operation?.id);
      if (listeners === undefined) return;
      this.#lastNews.set(operation.id, this.#lastMessage);
      const notice: Notice = { kind: "update", operation, bytes: message.data.length };
      for (const listener of [...listeners]) listener(notice);
    });
    socket.addEventListener("close", () => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      clearTimeout(this.#settle);
      if (!this.#closed.signal.aborted && this.#count > 0) this.#reconnect();
    });
    this.#settle = setTimeout(() => {
      if (this.#socket === socket) this.#broadcast({ kind: "resync" });
    }, this.#settings.settleMs);
    // Timers of the connection alone never keep the process alive (waiters have the sweeper).
    Deno.unrefTimer(this.#settle);
  }

  /** Reopens the connection with backoff, then tells subscribers to catch up. */
  async #reconnect(): Promise<void> {
    if (this.#reconnecting) return;
    this.#reconnecting = true;
    const started = performance.now();
    try {
      for (let attempt = 0;; attempt++) {
        if (this.#closed.signal.aborted) return;
        if (this.#count === 0) return;
        if (await this.#ensureOpen()) {
          this.#unavailableUntil = 0;
          this.#broadcast({ kind: "resync" });
          return;
        }
        if (performance.now() - started > this.#settings.reconnectForMs) {
          this.#broadcast({ kind: "lost" });
          return;
        }
        this.#unavailableUntil = 0;
        await pause(backoffDelay(RECONNECT_BACKOFF, attempt), this.#closed.signal)
          .catch(() => {});
      }
    } finally {
      this.#reconnecting = false;
    }
  }

  #scheduleIdleClose(): void {
    clearTimeout(this.#idle);
    if (this.#closed.signal.aborted || this.#socket === undefined) return;
    this.#idle = setTimeout(() => {
      if (this.#count > 0 || this.#socket === undefined) return;
      const socket = this.#socket;
      this.#socket = undefined;
      clearTimeout(this.#settle);
      closeIfOpen(socket);
    }, this.#settings.idleMs);
    // Idle: neither the timer nor the connection keeps a finished script alive.
    Deno.unrefTimer(this.#idle);
    this.#socket.unref();
  }

  #broadcast(notice: Notice): void {
    if (notice.kind === "resync") {
      const now = performance.now();
      for (const id of this.#lastNews.keys()) this.#lastNews.set(id, now);
    }
    for (const listeners of [...this.#listeners.values()]) {
      for (const listener of [...listeners]) listener(notice);
    }
  }

  /**
   * While there are subscribers, connected or not: counts a connection
   * silent for `silenceMs` as dead (closing it reconnects and resyncs), and
   * tells the subscribers whose operation has had no news for `resyncMs` to
   * read it again. They do so in the same tick, so one batched list answers
   * them all.
   */
  #startSweeper(): void {
    const { resyncMs, silenceMs } = this.#settings;
    this.#sweeper = setInterval(() => {
      const now = performance.now();
      if (this.#socket !== undefined && now - this.#lastMessage > silenceMs) {
        closeIfOpen(this.#socket);
      }
      for (const [id, last] of this.#lastNews) {
        if (now - last < resyncMs) continue;
        this.#lastNews.set(id, now);
        for (const listener of [...this.#listeners.get(id) ?? []]) listener({ kind: "resync" });
      }
    }, Math.max(10, Math.min(1_000, resyncMs / 2, silenceMs / 4)));
  }
}
