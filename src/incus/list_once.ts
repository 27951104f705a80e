/**
 * One list of a daemon's operations on a transport of its own, without a
 * {@linkcode Client}: what `client.operations.list()` does (all-projects
 * fallback, cluster members checked), for a process that lists and exits
 * (the `incusops list` command) and so need not load waits, events and
 * exec.
 *
 * @module
 */

import type { ConnectOptions } from "./client_options.ts";
import type { Operation } from "./operation.ts";
import type { ListOptions } from "./operations/options.ts";
import { Lister } from "./operations/list.ts";
import { RequestContext } from "./operations/request_context.ts";
import { IdempotentRequests } from "./transport/idempotent.ts";
import { openTransport } from "./open_transport.ts";
// deno-lint-ignore no-unused-vars -- for {@linkcode} in the docs
import type { Client } from "./client.ts";

/**
 * Connects as `connect(options)` does, lists the operations as
 * `client.operations.list(list)` does (same answers, same errors), and
 * closes the connection. Whether the daemon is a cluster is asked at
 * once, with the list, where a client asks only when the list's
 * locations do not tell.
 */
export async function listOnce(
  options: ConnectOptions,
  list: ListOptions & { recursion?: 1 },
): Promise<Operation[]> {
  const { transport, settings } = openTransport(options);
  const requests = new IdempotentRequests(transport, settings.retry);
  const context = new RequestContext(requests, settings.project, settings.target);
  // Whether the daemon is a cluster (checked after every list that holds no location),
  // asked while the list is read: one round trip less. Its failure is the list's to report;
  // once the list is done, it is stopped (even between retries).
  const done = new AbortController();
  const signal = list.signal ? AbortSignal.any([list.signal, done.signal]) : done.signal;
  const clustered = context.members.clustered([], signal).catch(() => {});
  try {
    return await new Lister(context).list(list) as Operation[];
  } finally {
    done.abort();
    transport.close();
    await clustered;
  }
}
