/**
 * Validation of caller input that ends up in a URL.
 *
 * @module
 */

import { InvalidArgumentError } from "./errors.ts";

const UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
const OPERATION_ID = new RegExp(`^(?:/1\\.0/operations/)?(${UUID})$`);
const BARE_UUID = new RegExp(`^${UUID}$`);

/** Shows a caller's value in an error message: quoted, escaped, shortened. */
export function describeValue(value: unknown): string {
  if (typeof value !== "string") return String(value);
  const shown = value.length > 64 ? `${value.slice(0, 64)}…` : value;
  const quoted = JSON.stringify(shown);
  return value.length > 64 ? `${quoted} (${value.length} characters)` : quoted;
}

/**
 * Returns the operation id in `value` (a UUID, or the `/1.0/operations/<uuid>`
 * path an async answer gives), or throws {@linkcode InvalidArgumentError}.
 * Nothing else can reach a URL: no slashes, dots, query or fragment.
 */
export function operationId(value: unknown): string {
  // The common case, a bare UUID, is checked without building a match.
  if (typeof value === "string" && value.length === 36 && BARE_UUID.test(value)) return value;
  const match = typeof value === "string" ? OPERATION_ID.exec(value) : null;
  if (match === null) {
    throw new InvalidArgumentError(
      `invalid operation id ${
        describeValue(value)
      }: expected a UUID such as "9a8b7c6d-1234-4abc-9def-0123456789ab"`,
    );
  }
  return match[1];
}

/**
 * Checks a duration in milliseconds (a timeout): a finite number ≥ 0, or
 * `undefined`. Returns it, or throws {@linkcode InvalidArgumentError}.
 */
export function duration(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(
      `invalid ${name} ${describeValue(value)}: expected milliseconds, a finite number >= 0`,
    );
  }
  return Math.min(value, MAX_TIMER_MS);
}

/** The longest delay a timer can take (about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;
