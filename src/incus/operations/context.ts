/**
 * What every job of `client.operations` shares: the transport, the client's
 * retried GETs, its default project and waiting knobs, and the shared
 * events connections and catch-up batches. Also the `Sighting` type: an
 * operation's state together with the request that read it.
 *
 * @module
 */

import type { Operation } from "../operation.ts";
import { COLLECTION, notFound, type Sighting } from "./sighting.ts";
import { withProject } from "../project.ts";
import type { IdempotentRequests } from "../transport/idempotent.ts";
import type { Envelope, Transport } from "../transport/transport.ts";
import type { CallOptions, WaitTuning } from "./options.ts";
import { EventHubs } from "./event_hubs.ts";
import { CatchUp } from "./catch_up.ts";
import { Lister } from "./list.ts";
import { DEFAULT_MEMBER_GRACE_MS, MemberWatch } from "../cluster.ts";

/** The shared state of one client's `client.operations`. */
export class OperationsContext {
  /** The client's transport. */
  readonly transport: Transport;
  /** The client's retried GETs (one per client, shared with `query()`). */
  readonly requests: IdempotentRequests;
  /** The client's default project. */
  readonly project: string | undefined;
  /** The waiting loop's knobs. */
  readonly tuning: WaitTuning;
  /** The shared events connections, one per project scope. */
  readonly hubs: EventHubs;
  /** Listing, with all-projects detection and per-project fan-out. */
  readonly lister: Lister;
  /** Batched catch-up reads. */
  readonly catchUp: CatchUp;
  /** The cluster behind the daemon, if any: its members and which answer. */
  readonly members: MemberWatch;
  /** How long a wait looks through a member outage, ms. */
  readonly memberGraceMs: number;
  /** The client's default cluster member for lists. */
  readonly target: string | undefined;

  constructor(
    transport: Transport,
    requests: IdempotentRequests,
    project: string | undefined,
    tuning: WaitTuning,
    cluster: { memberGraceMs?: number; target?: string } = {},
  ) {
    this.transport = transport;
    this.requests = requests;
    this.project = project;
    this.tuning = tuning;
    this.hubs = new EventHubs(transport, project, tuning.hub);
    this.lister = new Lister(this);
    this.catchUp = new CatchUp(this);
    this.members = new MemberWatch(requests);
    this.memberGraceMs = cluster.memberGraceMs ?? DEFAULT_MEMBER_GRACE_MS;
    this.target = cluster.target;
  }

  /** `query` with the call's, else the client's, project added. */
  query(project: string | undefined, query?: string): string | undefined {
    return withProject(query, project ?? this.project);
  }

  /**
   * Sends an idempotent GET, retried under the client's and the call's
   * retry policy. Only `signal` and `retry` are taken from the call's
   * options (a wait's `timeout` bounds the wait, not one request);
   * `request` sets this request's own limit.
   */
  get(
    path: string,
    query: string | undefined,
    options: CallOptions,
    request: { timeout?: number; fresh?: boolean } = {},
  ): Promise<Envelope> {
    return this.requests.get(path, query, {
      signal: options.signal,
      retry: options.retry,
      timeout: request.timeout,
      fresh: request.fresh,
    });
  }

  /** `GET /1.0/operations/<id>`; a 404 is {@linkcode OperationNotFoundError}. */
  read(id: string, options: CallOptions): Promise<Sighting> {
    const path = `${COLLECTION}/${id}`;
    return this.get(path, this.query(options.project), options).then(
      (envelope) => ({
        operation: envelope.metadata as Operation,
        request: { method: "GET", path, status: 200 },
      }),
      (error) => {
        throw notFound(id, error);
      },
    );
  }
}
