/**
 * Batched catch-up reads: a waiter that just subscribed to events (or was
 * told to resync) reads its operation once. Reads asked for in the same tick
 * and project scope are answered by one list of the scope's operations, so
 * 1,000 waits started together cost one request, not 1,000. Operations the
 * list lacks (just created, or gone) are read one by one, for exact answers.
 *
 * @module
 */

import { abortable } from "../../core/signals.ts";
import type { Operation } from "../operation.ts";
import type { CallScope } from "../call_scope.ts";
import type { OperationsContext, StateAndSource } from "./context.ts";

/** Catch-up reads waiting for one list, by operation id. */
type Batch = Map<string, PromiseWithResolvers<Operation | undefined>[]>;

/** The catch-up reads of one client. */
export class CatchUp {
  readonly #context: OperationsContext;
  readonly #batches = new Map<string, Batch>();

  constructor(context: OperationsContext) {
    this.#context = context;
  }

  /** Reads the scope's operation, in a batch with the other reads of this tick and project. */
  read(scope: CallScope): Promise<StateAndSource> {
    const key = scope.project ?? "";
    let batch = this.#batches.get(key);
    if (batch === undefined) {
      const created: Batch = new Map();
      batch = created;
      this.#batches.set(key, created);
      setTimeout(() => this.#flush(key, created, scope), 0);
    }
    const pending = Promise.withResolvers<Operation | undefined>();
    const waiters = batch.get(scope.id) ?? [];
    waiters.push(pending);
    batch.set(scope.id, waiters);
    const answer = scope.signal ? abortable(pending.promise, scope.signal) : pending.promise;
    return answer.then(async (found) =>
      found === undefined
        ? { operation: await this.#context.read(scope), source: "get" }
        : { operation: found, source: "list" }
    );
  }

  /** Answers a batch: one list when several reads wait, else nothing (single GETs). */
  async #flush(key: string, batch: Batch, scope: CallScope): Promise<void> {
    this.#batches.delete(key);
    const found = new Map<string, Operation>();
    if (batch.size > 1 && !this.#context.transport.closed) {
      try {
        // The list is the batch's, not the first waiter's: no signal of its own.
        const groups = await this.#context.lister.fetch(
          { ...scope, signal: undefined, retry: undefined },
          false,
          1,
        );
        for (const ops of Object.values(groups)) {
          if (Array.isArray(ops)) { for (const op of ops as Operation[]) found.set(op.id, op); }
        }
      } catch {
        // Each waiter reads its own operation instead.
      }
    }
    for (const [id, waiters] of batch) {
      for (const waiter of waiters) waiter.resolve(found.get(id));
    }
  }
}
