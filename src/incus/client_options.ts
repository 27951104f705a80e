/**
 * The options of {@linkcode connect} and of {@linkcode Client.query} and
 * {@linkcode Client.startOperation}.
 *
 * @module
 */

// deno-lint-ignore no-unused-vars -- for {@linkcode} in the docs
import type { Client } from "./client.ts";
// deno-lint-ignore no-unused-vars -- for {@linkcode} in the docs
import type { connect } from "./connect.ts";
import type { CallOptions } from "./operations/options.ts";
import type { RetryOption } from "../core/retry.ts";
import type { HubSettings } from "./operations/event_hub.ts";
// deno-lint-ignore no-unused-vars -- for {@linkcode} in the docs
import type { socketCandidates } from "./transport/socket.ts";
import type { ConnectionTarget } from "./transport/target.ts";

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
   * one-call read (cheaper, see docs/performance.md). Also the largest
   * message of an events or exec websocket, each fragment counting 1 KiB at
   * least (endless empty fragments end the stream with a `ProtocolError`).
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
