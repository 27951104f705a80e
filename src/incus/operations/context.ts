/**
 * What every job of `client.operations` shares: the transport, the client's
 * retried GETs, its defaults ({@linkcode ClientScope}), cluster watch and
 * waiting knobs, the shared events connections (one per project); the one
 * read of an operation, batched for catch-ups
 * ({@linkcode OperationsContext.catchUp}), and the one cancel; its
 * not-found error, and where a state was read ({@linkcode StateAndSource}).
 *
 * @module
 */

import { type Clock, systemClock, timeLimit } from "../../core/deadlines.ts";
import { type CallScope, type ClientScope, scopeQuery } from "../call_scope.ts";
import { MemberWatch } from "../cluster.ts";
import { INCUS_DEFAULTS } from "../defaults.ts";
import type { Operation } from "../operation.ts";
import { IncusError, NotCancellableError, OperationNotFoundError } from "../errors.ts";
import type { Transport } from "../transport/transport.ts";
import { abortable } from "../../core/signals.ts";
import { OperationEventHub } from "./event_hub.ts";
import { eventsQuery } from "../events.ts";
import { Lister } from "./list.ts";
import { DEFAULT_TUNING, type OperationsSettings, type WaitTuning } from "./options.ts";

/** The operations collection. */
export const COLLECTION = "/1.0/operations";

/**
 * Where a state was read: the events socket, a list of the collection, a
 * `GET` of the operation, or its `/wait`.
 */
export type Source = "events" | "list" | "get" | "wait";

/** An operation's state, and where it was read. */
export interface StateAndSource {
  /** The operation as read. */
  operation: Operation;
  /** Where it was read. */
  source: Source;
}

/** The request that read a state, as errors report it (`status` 0: a websocket). */
export function requestOf(
  id: string,
  source: Source,
): { method: string; path: string; status: number } {
  if (source === "events") return { method: "GET", path: "/1.0/events", status: 0 };
  const path = source === "list"
    ? COLLECTION
    : `${COLLECTION}/${id}${source === "wait" ? "/wait" : ""}`;
  return { method: "GET", path, status: 200 };
}

/** Turns a 404 into {@linkcode OperationNotFoundError}; passes others on. */
export function notFound(id: string, error: unknown): unknown {
  if (!(error instanceof IncusError) || error.status !== 404) return error;
  return new OperationNotFoundError(
    id,
    `operation ${id} not found: it never existed in this project, or it finished and the ` +
      "server dropped it (servers keep finished operations about 5 s), or the daemon restarted",
    error,
  );
}

/** Catch-up reads waiting for one list, by operation id. */
type Batch = Map<string, PromiseWithResolvers<Operation | undefined>[]>;

/** The shared state of one client's `client.operations`. */
export class OperationsContext {
  /** The client's transport (its GETs are retried: {@linkcode Transport.get}). */
  readonly transport: Transport;
  /** The client's defaults: project, member, clock. */
  readonly defaults: ClientScope;
  /** Where waits read the time and set alarms. */
  readonly clock: Clock;
  /** The cluster behind the daemon, if any: its members and which answer. */
  readonly members: MemberWatch;
  /** How long a wait looks through a member outage, ms. */
  readonly memberGraceMs: number;
  /** The waiting loop's knobs. */
  readonly tuning: WaitTuning;
  /** The shared events connections, by project, made on first use. */
  readonly #hubs = new Map<string, OperationEventHub>();
  /** Listing, with all-projects detection and per-project fan-out. */
  readonly lister: Lister;
  /** Catch-up reads waiting for one list, by project, then operation id. */
  readonly #batches = new Map<string, Batch>();

  /**
   * @param transport The client's transport.
   * @param settings Default project and member, clock, waiting knobs, member grace.
   */
  constructor(transport: Transport, settings: OperationsSettings) {
    const { project, target: member, clock = systemClock } = settings;
    this.transport = transport;
    this.defaults = { project, member, clock };
    this.clock = clock;
    this.members = new MemberWatch(transport, clock);
    this.memberGraceMs = settings.memberGraceMs ?? INCUS_DEFAULTS.memberGraceMs;
    this.tuning = { ...DEFAULT_TUNING, ...settings.tuning };
    this.lister = new Lister(this);
  }

  /** The shared events connection of a project (`undefined`: the server's default). */
  hub(project: string | undefined): OperationEventHub {
    let hub = this.#hubs.get(project ?? "");
    if (hub === undefined) {
      const query = eventsQuery({ types: ["operation"] }, project);
      hub = new OperationEventHub(this.transport, query, this.tuning.hub);
      this.#hubs.set(project ?? "", hub);
    }
    return hub;
  }

  /** Closes every events connection; resolves once each is closed. */
  async closeHubs(): Promise<void> {
    const hubs = [...this.#hubs.values()];
    this.#hubs.clear();
    await Promise.all(hubs.map((hub) => hub.close()));
  }

  /** `GET /1.0/operations/<id>`; a 404 is {@linkcode OperationNotFoundError}. */
  read(scope: CallScope): Promise<Operation> {
    const { id } = scope;
    return this.transport.get(`${COLLECTION}/${id}`, scopeQuery({ project: scope.project }), scope)
      .then((envelope) => envelope.metadata as Operation, (error) => {
        throw notFound(id, error);
      });
  }

  /**
   * A catch-up read (after subscribing to events, or a resync): reads the
   * scope's operation in a batch with the other catch-up reads of this tick
   * and project. A batch of several is answered by one list of the
   * project's operations, so 1,000 waits started together cost one request,
   * not 1,000; operations the list lacks (just created, or gone) are read
   * one by one, for exact answers.
   */
  catchUp(scope: CallScope): Promise<StateAndSource> {
    const key = scope.project ?? "";
    let batch = this.#batches.get(key);
    if (batch === undefined) {
      const created: Batch = new Map();
      batch = created;
      this.#batches.set(key, created);
      setTimeout(() => this.#flushCatchUp(key, created, scope), 0);
    }
    const pending = Promise.withResolvers<Operation | undefined>();
    const waiters = batch.get(scope.id) ?? [];
    waiters.push(pending);
    batch.set(scope.id, waiters);
    const answer = scope.signal ? abortable(pending.promise, scope.signal) : pending.promise;
    return answer.then(async (found) =>
      found === undefined
        ? { operation: await this.read(scope), source: "get" }
        : { operation: found, source: "list" }
    );
  }

  /** Answers a batch: one list when several reads wait, else nothing (single GETs). */
  async #flushCatchUp(key: string, batch: Batch, scope: CallScope): Promise<void> {
    this.#batches.delete(key);
    const found = new Map<string, Operation>();
    if (batch.size > 1 && !this.transport.closed) {
      try {
        // The list is the batch's, not the first waiter's: no signal of its own.
        const listed = { ...scope, signal: undefined, retry: undefined };
        const groups = await this.lister.fetch(listed, false, 1) as Record<string, Operation[]>;
        for (const op of Object.values(groups).flat()) found.set(op.id, op);
      } catch {
        // Each waiter reads its own operation instead.
      }
    }
    for (const [id, waiters] of batch) {
      for (const waiter of waiters) waiter.resolve(found.get(id));
    }
  }

  /**
   * Sends `DELETE /1.0/operations/<id>` for the scope's operation; resolves
   * once the server accepted. A 400 is {@linkcode NotCancellableError}, a 404
   * {@linkcode OperationNotFoundError}.
   */
  async cancel(scope: CallScope): Promise<void> {
    const { id, signal } = scope;
    try {
      const query = scopeQuery({ project: scope.project });
      await this.transport.request("DELETE", `${COLLECTION}/${id}`, { query, signal });
    } catch (error) {
      if (error instanceof IncusError && error.status === 400) {
        const why = `operation ${id} cannot be cancelled: ${error.message}`;
        throw new NotCancellableError(id, why, error);
      }
      throw notFound(id, error);
    }
  }

  /**
   * For `cancelOnAbort`: cancels the scope's operation, best effort, within
   * {@linkcode CANCEL_ON_ABORT_LIMIT_MS}; resolves with what the cancel
   * threw, or `undefined` when the server accepted it. Never rejects.
   */
  async cancelAfterGivingUp(scope: CallScope): Promise<unknown> {
    const message = "the cancel took too long";
    const limit = timeLimit(CANCEL_ON_ABORT_LIMIT_MS, { clock: this.clock, message });
    const cancelled = this.cancel({ ...scope, signal: limit.signal });
    return await cancelled.then(() => undefined, (error) => error).finally(limit.clear);
  }
}

/** Longest a cancel sent because a wait gave up may take, ms. */
const CANCEL_ON_ABORT_LIMIT_MS = 10_000;
