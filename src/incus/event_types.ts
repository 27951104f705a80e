/**
 * The events of the daemon's `/1.0/events` stream, typed by their `type`,
 * and the options of `client.events()`.
 *
 * @module
 */

import type { Operation } from "./operation.ts";
// deno-lint-ignore no-unused-vars -- for {@linkcode} in the docs
import type { EventStream } from "./events.ts";

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
 * The bounds of what the client keeps unread for a slow reader: the events
 * of `client.events()`, the news of one operation in
 * `client.operations.watch()`.
 *
 * @example
 * ```ts
 * import type { QueueLimits } from "@incusops/operations";
 *
 * const limits: QueueLimits = { maxQueued: 1_000, maxQueuedBytes: 8 * 1024 * 1024 };
 * console.log(limits.maxQueued); // 1000
 * ```
 */
export interface QueueLimits {
  /**
   * The most events kept unread. A reader that falls further behind a
   * flooding daemon ends the stream (or the watch): an event stream's
   * socket is closed at once (memory stays bounded), the queued events are
   * dropped, and the next read rejects with a `ProtocolError` saying so
   * (events were lost from then on: subscribe again and re-read what you
   * track).
   *
   * @default {10_000}
   */
  maxQueued?: number;
  /**
   * The most bytes of events kept unread (their text as received), ended
   * as past `maxQueued`. Each event is also at most the client's
   * `maxResponseBytes`.
   *
   * @default {67_108_864}
   */
  maxQueuedBytes?: number;
}

/**
 * Options of `client.events()`.
 *
 * @typeParam T The event types asked for (inferred from `types`).
 */
export interface EventsOptions<T extends readonly EventType[] = readonly EventType[]>
  extends QueueLimits {
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
   * On a cluster: only the events of this member (their `location`). A
   * member streams every member's events, and the daemons ignore `target`
   * on `/1.0/events`, so the client filters.
   */
  target?: string;
}
