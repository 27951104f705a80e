/**
 * Validation of caller input shared by every client: values shown in
 * messages, and durations.
 *
 * @module
 */

import { InvalidArgumentError } from "./errors.ts";

/** Shows a caller's value in an error message: quoted, escaped, shortened. */
export function describeValue(value: unknown): string {
  if (typeof value !== "string") return String(value);
  const shown = value.length > 64 ? `${value.slice(0, 64)}…` : value;
  const quoted = JSON.stringify(shown);
  return value.length > 64 ? `${quoted} (${value.length} characters)` : quoted;
}

/**
 * The error for a refused argument, in the one wording every check uses:
 * `invalid <name> <value>: expected <expected>`.
 */
export function invalidArgument(
  name: string,
  value: unknown,
  expected: string,
): InvalidArgumentError {
  return new InvalidArgumentError(`invalid ${name} ${describeValue(value)}: expected ${expected}`);
}

/**
 * Checks a duration in milliseconds (a timeout): a finite number ≥ 0, or
 * `undefined`. Returns it, or throws {@linkcode InvalidArgumentError}.
 */
export function duration(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw invalidArgument(name, value, "milliseconds, a finite number >= 0");
  }
  return Math.min(value, MAX_TIMER_MS);
}

/** The longest delay a timer can take (about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;
