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
import type { CallOptions } from "./options.ts";
import type { OperationsContext } from "./context.ts";
import { COLLECTION, type Sighting } from "./sighting.ts";

/** Catch-up reads waiting for one list, by operation id. */
type Batch = Map<string, PromiseWithResolvers<Operation | undefined>[]>;

/** The request a batched read reports. */
const LIST_REQUEST = { method: "GET", path: COLLECTION, status: 200 } as const;

/** The catch-up reads of one client. */
export class CatchUp {
  readonly #context: OperationsContext;
  readonly #batches = new Map<string, Batch>();

  constructor(context: OperationsContext) {
    this.#context = context;
  }

  /** Reads operation `id`, in a batch with the other reads of this tick and scope. */
  read(id: string, options: CallOptions): Promise<Sighting> {
    const scope = options.project ?? this.#context.project ?? "";
    let batch = this.#batches.get(scope);
    if (batch === undefined) {
      const created: Batch = new Map();
      batch = created;
      this.#batches.set(scope, created);
      setTimeout(() => this.#flush(scope, created, options.project), 0);
    }
    const pending = Promise.withResolvers<Operation | undefined>();
    const waiters = batch.get(id) ?? [];
    waiters.push(pending);
    batch.set(id, waiters);
    const answer = options.signal ? abortable(pending.promise, options.signal) : pending.promise;
    return answer.then((found) =>
      found === undefined
        ? this.#context.read(id, options)
        : { operation: found, request: { ...LIST_REQUEST } }
    );
  }

  /** Answers a batch: one list when several reads wait, else nothing (single GETs). */
  async #flush(scope: string, batch: Batch, project: string | undefined): Promise<void> {
    this.#batches.delete(scope);
    const found = new Map<string, Operation>();
    if (batch.size > 1 && !this.#context.transport.closed) {
      try {
        const groups = await this.#context.lister.fetch({ project }, 1);
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
