/**
 * Type-level assertions (the offline import map has no `@std/testing/types`):
 * `assertType<IsExact<A, B>>(true)` fails to type-check unless A and B are
 * the same type.
 */

/** `true` when `A` and `B` are exactly the same type, else `false`. */
export type IsExact<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2)
  ? true
  : false;

/** Type-checks only when `expected` matches the asserted type (`true` or `false`). */
export function assertType<T extends boolean>(_expected: T): void {}
