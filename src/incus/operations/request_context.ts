/**
 * What lists and reads need of a client: its retried GETs with its
 * default project and cluster member, and its cluster watch. The whole
 * `client.operations` context (`OperationsContext`) builds on
 * it.
 *
 * @module
 */

import type { Operation } from "../operation.ts";
import { COLLECTION, notFound, type Sighting } from "./sighting.ts";
import { withProject } from "../project.ts";
import type { IdempotentRequests } from "../transport/idempotent.ts";
import type { Envelope } from "../transport/transport.ts";
import type { CallOptions } from "./options.ts";
import { MemberWatch } from "../cluster.ts";
import type { Clock } from "../../core/deadlines.ts";

const metadata = (envelope: Envelope) => envelope.metadata as Operation;

/** A client's GETs, its default project and member, and its cluster watch. */
export class RequestContext {
  /** The client's retried GETs (one per client, shared with `query()`). */
  readonly requests: IdempotentRequests;
  /** The client's default project. */
  readonly project: string | undefined;
  /** The cluster behind the daemon, if any: its members and which answer. */
  readonly members: MemberWatch;
  /** The client's default cluster member for lists. */
  readonly target: string | undefined;

  constructor(
    requests: IdempotentRequests,
    project: string | undefined,
    target: string | undefined,
    clock?: Clock,
  ) {
    this.requests = requests;
    this.project = project;
    this.members = new MemberWatch(requests, clock);
    this.target = target;
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

  /**
   * `GET /1.0/operations/<id>`, resolving the operation alone (`get`'s path);
   * a 404 is {@linkcode OperationNotFoundError}.
   */
  operation(id: string, options: CallOptions): Promise<Operation> {
    const query = this.query(options.project);
    const { signal, retry } = options;
    return this.requests.get(`${COLLECTION}/${id}`, query, { signal, retry }).then(
      metadata,
      (error) => {
        throw notFound(id, error);
      },
    );
  }

  /** `GET /1.0/operations/<id>`; a 404 is {@linkcode OperationNotFoundError}. */
  read(id: string, options: CallOptions): Promise<Sighting> {
    const request = { method: "GET", path: `${COLLECTION}/${id}`, status: 200 };
    return this.operation(id, options).then((operation) => ({ operation, request }));
  }
}
