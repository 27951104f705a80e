/**
 * A hang guard for tests of calls that must settle: a call that would hang
 * fails its test after a generous bound instead of stalling the suite. The
 * bound decides no assertion about speed. Also the unit memory bounds are
 * written in ({@linkcode MiB}).
 */

/** One mebibyte, the unit the memory bounds are written in. */
export const MiB = 1024 * 1024;

/** Settles as `promise` does, or rejects once `ms` have passed. */
export async function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** The error `promise` rejects with, or `undefined` when it resolves. */
export function outcome(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => undefined, (error) => error);
}
