/**
 * Waiting for several operations at once, at most `concurrency` at a time,
 * under one `timeout` and `signal`: all (`waitAll`), every outcome
 * (`waitAllSettled`), the first success (`waitAny`), the first to finish
 * (`waitRace`).
 *
 * @module
 */

import { boundedConcurrency } from "../../core/concurrency.ts";
import { timeLimit } from "../../core/deadlines.ts";
import { InvalidArgumentError } from "../../core/errors.ts";
import { duration, invalidArgument } from "../../core/validate.ts";
import { callScope } from "../call_scope.ts";
import type { Operation } from "../operation.ts";
import { type OperationRef, operationRef } from "../operation_id.ts";
import type { WaitManyOptions } from "./options.ts";
import type { OperationsContext } from "./context.ts";
import { settle, waitFinal } from "./wait.ts";

/** How the waits' promises make the call's answer (`Promise.all`, `Promise.any`, ...). */
export type Combine<T> = (waits: Promise<Operation>[]) => Promise<T>;

/**
 * Starts one wait per reference (all checked before anything is sent; at
 * most `concurrency` at once) under one time limit, combines them with
 * `combine`, then stops waiting for those still running (they keep running
 * on the server). The caller's signal rejects the call with its reason.
 * `needsOne` names a call that refuses an empty list.
 */
export async function waitMany<T>(
  context: OperationsContext,
  refs: readonly OperationRef[],
  options: WaitManyOptions,
  combine: Combine<T>,
  needsOne?: string,
): Promise<T> {
  if (!Array.isArray(refs)) throw invalidArgument("ids", refs, "an array");
  if (needsOne !== undefined && refs.length === 0) {
    throw new InvalidArgumentError(`${needsOne} needs at least one operation`);
  }
  const operations = refs.map(operationRef);
  const limiter = boundedConcurrency(options.concurrency ?? Infinity);
  const timeout = duration("timeout", options.timeout);
  options.signal?.throwIfAborted();
  const limit = timeout === undefined ? undefined : timeLimit(timeout, { clock: context.clock });
  const stop = new AbortController();
  const shared = { limit, stop: stop.signal };
  const waits = operations.map((operation) =>
    limiter(async () => {
      const scope = callScope(context.defaults, options, operation, shared);
      return settle(await waitFinal(context, scope, options, stop.signal));
    })
  );
  for (const wait of waits) wait.catch(() => {});
  try {
    const result = await combine(waits);
    options.signal?.throwIfAborted();
    return result;
  } catch (error) {
    throw options.signal?.aborted ? options.signal.reason : error;
  } finally {
    limit?.clear();
    stop.abort(new DOMException("no longer waited for", "AbortError"));
    await Promise.allSettled(waits);
  }
}

/** `Promise.any`, rejecting with an `AggregateError` that says what it is about. */
export async function firstSuccess(waits: Promise<Operation>[]): Promise<Operation> {
  try {
    return await Promise.any(waits);
  } catch (error) {
    if (!(error instanceof AggregateError)) throw error;
    throw new AggregateError(
      error.errors,
      `none of the ${waits.length} operations succeeded (see errors)`,
    );
  }
}

/** `Promise.race`: the first wait to settle decides. */
export const firstFinal: Combine<Operation> = (waits) => Promise.race(waits);

/** Every wait's outcome, as `Promise.allSettled` gives them. */
export const allSettled: Combine<PromiseSettledResult<Operation>[]> = (waits) =>
  Promise.allSettled(waits);
