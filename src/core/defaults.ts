/**
 * The defaults every client of this package shares: one place each.
 *
 * @module
 */

/**
 * Longest time one HTTP request may take before it is abandoned, ms: long
 * enough for any synchronous answer.
 *
 * @example
 * ```ts
 * import { DEFAULT_REQUEST_TIMEOUT_MS } from "./defaults.ts";
 *
 * console.log(DEFAULT_REQUEST_TIMEOUT_MS); // 60000
 * ```
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

/**
 * Largest response body accepted, bytes (64 MiB).
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_RESPONSE_BYTES } from "./defaults.ts";
 *
 * console.log(DEFAULT_MAX_RESPONSE_BYTES / 1024 / 1024); // 64
 * ```
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/**
 * Longest server-side long-poll slice of a wait (Incus/LXD `/wait?timeout=`,
 * google.longrunning `:wait`), ms. Shorter slices notice a dead server
 * sooner; longer ones send fewer requests.
 *
 * @example
 * ```ts
 * import { DEFAULT_LONG_POLL_SLICE_MS } from "./defaults.ts";
 *
 * console.log(DEFAULT_LONG_POLL_SLICE_MS); // 30000
 * ```
 */
export const DEFAULT_LONG_POLL_SLICE_MS = 30_000;
