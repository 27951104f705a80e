/**
 * What one call is about, decided once by the facade that takes it (the
 * operation, project, cluster member, signal and time limit), and the one
 * way it becomes a query string. Nothing below a facade decides these again.
 *
 * @module
 */

import { type Clock, type TimeLimit, timeLimit } from "../core/deadlines.ts";
import type { RetryOption } from "../core/retry.ts";
import type { WaitOptions } from "./operations/options.ts";
import { anySignal } from "../core/signals.ts";
import { duration, invalidArgument } from "../core/validate.ts";
// deno-lint-ignore no-unused-vars -- for {@linkcode} in the docs
import type { operationRef } from "./operation_id.ts";

/** A client's defaults for its calls. */
export interface ClientScope {
  /** The client's default project. */
  readonly project?: string;
  /** The client's default cluster member (`connect({ target })`). */
  readonly member?: string;
  /** Where the client's time limits read the time. */
  readonly clock?: Clock;
}

/**
 * What a call's options may say about its scope: its `project`, cluster
 * member (`target`), `signal`, time limit (`timeout`, ms) and `retry`; and
 * the other durations a call may take (`pollMs`, `memberGraceMs`), checked
 * with them.
 */
export type ScopeOptions =
  & Pick<WaitOptions, "project" | "signal" | "timeout" | "retry" | "pollMs" | "memberGraceMs">
  & { target?: string };

/** What one call is about. */
export interface CallScope {
  /** The operation, checked (`""` for a call about none). */
  readonly id: string;
  /** The project: the call's, else the operation object's, else the client's. */
  readonly project: string | undefined;
  /** The cluster member: the call's `target`, else the client's. */
  readonly member: string | undefined;
  /** The caller's signal and the time limit (and `stop`), combined. */
  readonly signal: AbortSignal | undefined;
  /** The call's time limit, if any (the caller of `callScope` clears it). */
  readonly limit: TimeLimit | undefined;
  /** The call's retry option. */
  readonly retry: RetryOption | undefined;
}

/** Checks a cluster member name (`target`). */
export function memberName(value: unknown, what = "target"): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(value)) {
    throw invalidArgument(what, value, 'a cluster member name such as "m1"');
  }
  return value;
}

/**
 * Decides what a call is about, its arguments checked: the one place a
 * call's project and member are chosen, and its options checked (nothing
 * below a facade checks them again). `operation` is the checked reference
 * of a call about one ({@linkcode operationRef}); `shared` gives a time
 * limit made for several calls (`waitAll`) and a signal that stops waiting.
 */
export function callScope(
  client: ClientScope,
  options: ScopeOptions,
  operation: { id: string; project?: string } = { id: "" },
  shared: { limit?: TimeLimit; stop?: AbortSignal } = {},
): CallScope {
  const member = options.target === undefined ? client.member : memberName(options.target);
  if (options.pollMs !== undefined) duration("pollMs", options.pollMs);
  if (options.memberGraceMs !== undefined) duration("memberGraceMs", options.memberGraceMs);
  const timeout = options.timeout === undefined ? undefined : duration("timeout", options.timeout);
  const limit = shared.limit ??
    (timeout === undefined ? undefined : timeLimit(timeout, { clock: client.clock }));
  return {
    id: operation.id,
    project: options.project ?? operation.project ?? client.project,
    member,
    signal: anySignal(options.signal, limit?.signal, shared.stop),
    limit,
    retry: options.retry,
  };
}

/**
 * The query string of a call (encoded, without `?`): `query` with the
 * scope's `project` and, if given, `target` added, unless it names them.
 */
export function scopeQuery(
  scope: { project?: string; member?: string },
  query = "",
): string | undefined {
  let sent = query;
  for (const [key, value] of [["project", scope.project], ["target", scope.member]]) {
    if (value === undefined || new RegExp(`(?:^|&)${key}=`).test(sent)) continue;
    sent += `${sent === "" ? "" : "&"}${key}=${encodeURIComponent(value)}`;
  }
  return sent === "" ? undefined : sent;
}
