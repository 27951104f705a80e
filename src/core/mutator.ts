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
 * @example Count running operations
 * ```ts no-eval
 * import { connect, type Mutator, type Operation } from "@incusops/operations";
 *
 * const count: Mutator<Operation[], number> = (ops) => ops.length;
 * await using client = connect();
 * const n: number = await client.operations.list({}, count);
 * console.log(n);
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
