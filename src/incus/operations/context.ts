/**
 * What every job of `client.operations` shares: the transport, the client's
 * retried GETs, default project and member and cluster watch
 * ({@linkcode RequestContext}), its waiting knobs, and the shared events
 * connections and catch-up batches.
 *
 * @module
 */

import type { IdempotentRequests } from "../transport/idempotent.ts";
import type { Transport } from "../transport/transport.ts";
import type { WaitTuning } from "./options.ts";
import { EventHubs } from "./event_hubs.ts";
import { CatchUp } from "./catch_up.ts";
import { Lister } from "./list.ts";
import { DEFAULT_MEMBER_GRACE_MS } from "../cluster.ts";
import { RequestContext } from "./request_context.ts";
import { type Clock, systemClock } from "../../core/deadlines.ts";

/** The shared state of one client's `client.operations`. */
export class OperationsContext extends RequestContext {
  /** The client's transport. */
  readonly transport: Transport;
  /** The waiting loop's knobs. */
  readonly tuning: WaitTuning;
  /** The shared events connections, one per project scope. */
  readonly hubs: EventHubs;
  /** Listing, with all-projects detection and per-project fan-out. */
  readonly lister: Lister;
  /** Batched catch-up reads. */
  readonly catchUp: CatchUp;
  /** How long a wait looks through a member outage, ms. */
  readonly memberGraceMs: number;
  /** Where waits read the time and set alarms. */
  readonly clock: Clock;

  constructor(
    transport: Transport,
    requests: IdempotentRequests,
    project: string | undefined,
    tuning: WaitTuning,
    cluster: { memberGraceMs?: number; target?: string; clock?: Clock } = {},
  ) {
    super(requests, project, cluster.target, cluster.clock);
    this.clock = cluster.clock ?? systemClock;
    this.transport = transport;
    this.tuning = tuning;
    this.hubs = new EventHubs(transport, project, tuning.hub);
    this.lister = new Lister(this);
    this.catchUp = new CatchUp(this);
    this.memberGraceMs = cluster.memberGraceMs ?? DEFAULT_MEMBER_GRACE_MS;
  }
}
