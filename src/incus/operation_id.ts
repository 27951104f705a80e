/**
 * Validation of the operation ids that end up in a URL, and of the
 * references (an id, or an operation) every call takes.
 *
 * @module
 */

// deno-lint-ignore no-unused-vars -- for {@linkcode} in the docs
import type { InvalidArgumentError } from "../core/errors.ts";
import { invalidArgument } from "../core/validate.ts";

const UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
const OPERATION_ID = new RegExp(`^(?:/1\\.0/operations/)?(${UUID})$`);
const BARE_UUID = new RegExp(`^${UUID}$`);
const EXAMPLE_ID = "9a8b7c6d-1234-4abc-9def-0123456789ab";

/**
 * What names an operation in every call: its UUID, the
 * `/1.0/operations/<uuid>` path an async answer gives, or an object with
 * an `id` (an `Operation`, or a handle). An object's `project`, when it has
 * one, is the project the call acts in unless the call names another.
 *
 * @example
 * ```ts
 * import type { OperationRef } from "@incusops/operations";
 *
 * const byId: OperationRef = "9a8b7c6d-1234-4abc-9def-0123456789ab";
 * const byObject: OperationRef = { id: byId, project: "default" };
 * console.log(byId, byObject.id);
 * ```
 */
export type OperationRef = string | { readonly id: string; readonly project?: string };

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
    throw invalidArgument("operation id", value, `a UUID such as "${EXAMPLE_ID}"`);
  }
  return match[1];
}

/**
 * The id and project of an {@linkcode OperationRef}, checked; throws
 * {@linkcode InvalidArgumentError} for anything else.
 */
export function operationRef(value: unknown): { id: string; project: string | undefined } {
  const object = value !== null && typeof value === "object" && "id" in value;
  const project = object ? (value as { project?: unknown }).project : undefined;
  return {
    id: operationId(object ? value.id : value),
    project: typeof project === "string" && project !== "" ? project : undefined,
  };
}
