/**
 * The mutator hook every call takes as its last argument.
 *
 * @module
 */

/**
 * A function applied to a call's result before the call resolves; the call
 * resolves with what it returns (sync or async). If it throws or rejects, the
 * call rejects with that error.
 *
 * @typeParam T The call's own result.
 * @typeParam R What the call resolves with instead.
 *
 * @example Count operations
 * ```ts
 * import { connect, type Mutator, type Operation } from "@incusops/operations";
 * import { FakeDaemon } from "@incusops/operations/testing";
 * import { assertEquals } from "@std/assert";
 *
 * await using daemon = await FakeDaemon.start();
 * daemon.createOperation();
 * daemon.createOperation();
 * await using client = connect({ socket: daemon.path });
 *
 * const count: Mutator<Operation[], number> = (ops) => ops.length;
 * const n: number = await client.operations.list({}, count);
 * assertEquals(n, 2);
 * ```
 */
export type Mutator<T, R> = (value: T) => R | PromiseLike<R>;

/**
 * Applies `mutator` to `value`, or returns `value` when there is none.
 * Callers `await` the result; not `async` itself, so the common call
 * without a mutator allocates no promise.
 */
export function applyMutator<T, R>(
  value: T,
  mutator: Mutator<T, R> | undefined,
): R | PromiseLike<R> {
  return mutator === undefined ? value as unknown as R : mutator(value);
}
