/**
 * Validation of the operation ids that end up in a URL.
 *
 * @module
 */

import { InvalidArgumentError } from "../core/errors.ts";
import { describeValue } from "../core/validate.ts";

const UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
const OPERATION_ID = new RegExp(`^(?:/1\\.0/operations/)?(${UUID})$`);
const BARE_UUID = new RegExp(`^${UUID}$`);

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
