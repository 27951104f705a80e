/**
 * Every default of the Incus client in one object: each `@default` tag of
 * its options states a value held here, and a test holds them equal.
 *
 * @module
 */

import {
  DEFAULT_LONG_POLL_SLICE_MS,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
} from "../core/defaults.ts";

/**
 * The Incus client's defaults, by option name: `connect()`'s and the
 * calls' options at the top, `events` for `connect({ events })`'s fields,
 * `fleet` for the fleet helpers' and `listFleet` for its own.
 *
 * @example
 * ```ts
 * import { INCUS_DEFAULTS } from "./defaults.ts";
 *
 * console.log(INCUS_DEFAULTS.requestTimeout, INCUS_DEFAULTS.events.silenceMs); // 60000 30000
 * ```
 */
export const INCUS_DEFAULTS = {
  requestTimeout: DEFAULT_REQUEST_TIMEOUT_MS,
  maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES,
  waitSliceMs: DEFAULT_LONG_POLL_SLICE_MS,
  memberGraceMs: 60_000,
  pollMs: 500,
  maxQueued: 10_000,
  maxQueuedBytes: 64 * 1024 * 1024,
  events: {
    silenceMs: 30_000,
    idleMs: 1_000,
    reconnectForMs: 10_000,
    unavailableForMs: 30_000,
    settleMs: 500,
    resyncMs: 2_000,
  },
  fleet: { concurrency: 8 },
  listFleet: { timeout: 30_000 },
} as const;
