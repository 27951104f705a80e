/**
 * What every job of `client.operations` shares: the transport, the client's
 * retried GETs, its defaults ({@linkcode ClientScope}), cluster watch and
 * waiting knobs, the shared events connections and catch-up batches; and
 * the one read of an operation.
 *
 * @module
 */

import { type Clock, systemClock } from "../../core/deadlines.ts";
import type { CallScope, ClientScope } from "../call_scope.ts";
import { scopeQuery } from "../call_scope.ts";
import { MemberWatch } from "../cluster.ts";
import { INCUS_DEFAULTS } from "../defaults.ts";
import type { Operation } from "../operation.ts";
import type { IdempotentRequests } from "../transport/idempotent.ts";
import type { Transport } from "../transport/transport.ts";
import { CatchUp } from "./catch_up.ts";
import { EventHubs } from "./event_hub.ts";
import { Lister } from "./list.ts";
import type { WaitTuning } from "./options.ts";
import { COLLECTION, notFound } from "./state.ts";

/** The shared state of one client's `client.operations`. */
export class OperationsContext {
  /** The client's transport. */
  readonly transport: Transport;
  /** The client's retried GETs (one per client, shared with `query()`). */
  readonly requests: IdempotentRequests;
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
  /** The shared events connections, one per project. */
  readonly hubs: EventHubs;
  /** Listing, with all-projects detection and per-project fan-out. */
  readonly lister: Lister;
  /** Batched catch-up reads. */
  readonly catchUp: CatchUp;

  constructor(
    transport: Transport,
    requests: IdempotentRequests,
    defaults: ClientScope,
    tuning: WaitTuning,
    memberGraceMs: number = INCUS_DEFAULTS.memberGraceMs,
  ) {
    this.transport = transport;
    this.requests = requests;
    this.defaults = defaults;
    this.clock = defaults.clock ?? systemClock;
    this.members = new MemberWatch(requests, this.clock);
    this.memberGraceMs = memberGraceMs;
    this.tuning = tuning;
    this.hubs = new EventHubs(transport, tuning.hub);
    this.lister = new Lister(this);
    this.catchUp = new CatchUp(this);
  }

  /** `GET /1.0/operations/<id>`; a 404 is {@linkcode OperationNotFoundError}. */
  read(scope: CallScope): Promise<Operation> {
    const { id } = scope;
    return this.requests.get(`${COLLECTION}/${id}`, scopeQuery({ project: scope.project }), scope)
      .then((envelope) => envelope.metadata as Operation, (error) => {
        throw notFound(id, error);
      });
  }
}
