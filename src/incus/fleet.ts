/**
 * Fleets: one call across many remotes (standalone edge hosts, clusters),
 * with bounded concurrency, each remote's outcome reported apart, and one
 * remote down never failing or hiding the others.
 *
 * @module
 */

import { boundedConcurrency } from "../core/concurrency.ts";
import { duration, invalidArgument } from "../core/validate.ts";
import { CLOCK, type Clock, timeLimit } from "../core/deadlines.ts";
import { abortable, anySignal } from "../core/signals.ts";
import type { Client } from "./client.ts";
import { connect, connectRemote } from "./connect.ts";
import type { ConnectOptions } from "./client_options.ts";
import type { Operation } from "./operation.ts";
import type { ListOptions } from "./operations/options.ts";
import { MemberUnreachableError } from "./errors.ts";
import { INCUS_DEFAULTS } from "./defaults.ts";

/** How a fleet is reached: remotes of `config.yml`, or explicit connect options. */
export type FleetTarget = string | (ConnectOptions & { name: string });

/** Options of {@linkcode acrossFleet} and {@linkcode listFleet}. */
export interface FleetOptions {
  /**
   * Most remotes called at once (a whole number >= 1, or `Infinity`).
   *
   * @default {8}
   */
  concurrency?: number;
  /**
   * Longest one remote's call may take, ms: then that remote's outcome is
   * a `TimeoutError` and its slot goes to the next remote, whatever the
   * call does with its signal (its client is closed under it).
   *
   * @default {undefined} (no limit; {@linkcode listFleet}: 30 s)
   */
  timeout?: number;
  /** Aborts every call; the fleet call rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Connect options given to every remote (e.g. `requestTimeout`, `retry`). */
  connect?: Omit<ConnectOptions, "remote" | "socket" | "url">;
}

/** Options of {@linkcode listFleet}: the fleet's, and the list's. */
export interface ListFleetOptions
  extends FleetOptions, Pick<ListOptions, "allProjects" | "project" | "target"> {
  /**
   * Longest one remote's list may take, ms: then that remote is missing,
   * with a `TimeoutError` as its outcome (the others go on).
   *
   * @default {30_000}
   */
  timeout?: number;
}

/** One remote's outcome: its value, or the error its call ended with. */
export type RemoteOutcome<T> =
  | { remote: string; ok: true; value: T }
  | { remote: string; ok: false; error: unknown };

/** The default of {@linkcode FleetOptions.concurrency}. */
export const DEFAULT_FLEET_CONCURRENCY: number = INCUS_DEFAULTS.fleet.concurrency;

function nameOf(target: FleetTarget): string {
  return typeof target === "string" ? target : target.name;
}

/**
 * Calls `call` with a client of every remote, at most `concurrency` at
 * once, and resolves with every remote's outcome in the order given: a
 * remote that cannot be reached, refuses, or times out is an outcome with
 * `ok: false`, never a rejection. Each client is closed after its call.
 * Rejects only when `signal` aborts (with its reason) or the arguments are
 * wrong (nothing sent).
 *
 * @param targets Remote names of `config.yml`, or connect options with a `name`.
 * @param call What to do with each remote's client.
 * @param options `concurrency` (default 8), `timeout` per remote, `signal`, `connect`.
 * @returns Every remote's outcome.
 *
 * @example Count the operations of two daemons and one that is down
 * ```ts
 * import { acrossFleet } from "@incusops/operations";
 * import { FakeDaemon } from "@incusops/operations/testing";
 *
 * await using a = await FakeDaemon.start();
 * await using b = await FakeDaemon.start();
 * a.createOperation();
 * const outcomes = await acrossFleet(
 *   [
 *     { name: "a", socket: a.path },
 *     { name: "b", socket: b.path },
 *     { name: "gone", socket: "/nonexistent/unix.socket" },
 *   ],
 *   (client) => client.operations.list({}, (ops) => ops.length),
 * );
 * console.log(outcomes.map((o) => o.ok ? `${o.remote}: ${o.value}` : `${o.remote}: down`));
 * // ["a: 1", "b: 0", "gone: down"]
 * ```
 */
export async function acrossFleet<T>(
  targets: readonly FleetTarget[],
  call: (client: Client, remote: string, signal: AbortSignal) => Promise<T>,
  options: FleetOptions = {},
): Promise<RemoteOutcome<T>[]> {
  if (!Array.isArray(targets)) {
    throw invalidArgument("remotes", targets, "an array of remote names");
  }
  for (const target of targets) {
    if (typeof nameOf(target) !== "string" || nameOf(target) === "") {
      throw invalidArgument("remote", target, "a name, or options with a name");
    }
  }
  const timeout = duration("timeout", options.timeout);
  const limit = boundedConcurrency(options.concurrency ?? DEFAULT_FLEET_CONCURRENCY);
  options.signal?.throwIfAborted();
  const one = (target: FleetTarget) =>
    limit(async (): Promise<RemoteOutcome<T>> => {
      const remote = nameOf(target);
      const bound = timeout === undefined ? undefined : timeLimit(timeout, {
        clock: (options.connect as { [CLOCK]?: Clock } | undefined)?.[CLOCK],
        message: `remote ${remote} did not finish within ${timeout} ms`,
      });
      const signal = anySignal(options.signal, bound?.signal) ?? new AbortController().signal;
      let client: Client | undefined;
      const close = () => client?.close().catch(() => {});
      const work = (async () => {
        signal.throwIfAborted();
        if (typeof target === "string") {
          client = await connectRemote(target, { ...options.connect });
        } else {
          const { name: _, ...given } = target;
          client = connect({ ...options.connect, ...given });
        }
        return await call(client, remote, signal);
      })();
      try {
        // The time limit wins even over a call that ignores its signal.
        return { remote, ok: true, value: await abortable(work, signal) };
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason;
        return { remote, ok: false, error };
      } finally {
        bound?.clear();
        work.then(close, close); // a call still running: its client closes when it ends
        await close();
      }
    });
  return await Promise.all(targets.map(one));
}

/** What {@linkcode listFleet} heard: operations tagged with their remote, and what was missing. */
export interface FleetList {
  /** Every operation heard, with the remote it came from, oldest first per remote. */
  operations: (Operation & { remote: string })[];
  /** Each remote's outcome: its operations, or why it could not be listed. */
  outcomes: RemoteOutcome<Operation[]>[];
  /**
   * The remotes (and cluster members, as `remote/member`) that could not
   * be heard from; their operations are missing. Empty when the list is whole.
   */
  missing: string[];
}

/**
 * Lists the operations of every remote (see {@linkcode acrossFleet}): what
 * each remote answered, tagged with its name, and the remotes (or members
 * of a cluster remote) that could not be heard from. A cluster remote with
 * an unreachable member contributes what it heard.
 *
 * @param targets Remote names of `config.yml`, or connect options with a `name`.
 * @param options Fleet options, and the list's options (`allProjects`, `project`, `target`).
 * @returns The operations heard and each remote's outcome.
 *
 * @example
 * ```ts
 * import { listFleet } from "@incusops/operations";
 * import { FakeDaemon } from "@incusops/operations/testing";
 *
 * await using site = await FakeDaemon.start();
 * site.createOperation();
 * const fleet = await listFleet([
 *   { name: "site1", socket: site.path },
 *   { name: "site2", socket: "/nonexistent/unix.socket" },
 * ]);
 * console.log(fleet.operations.map((op) => op.remote), fleet.missing); // ["site1"] ["site2"]
 * ```
 */
export async function listFleet(
  targets: readonly FleetTarget[],
  options: ListFleetOptions = {},
): Promise<FleetList> {
  const { allProjects, project, target, timeout = INCUS_DEFAULTS.listFleet.timeout } = options;
  const outcomes = await acrossFleet(
    targets,
    (client, _remote, signal) => client.operations.list({ allProjects, project, target, signal }),
    { ...options, timeout },
  );
  const operations: (Operation & { remote: string })[] = [];
  const missing: string[] = [];
  for (const outcome of outcomes) {
    // A cluster remote missing members: what it heard counts, the members are named.
    const heard = outcome.ok
      ? outcome.value
      : outcome.error instanceof MemberUnreachableError
      ? outcome.error.operations
      : [];
    for (const op of heard) operations.push({ ...op, remote: outcome.remote });
    if (outcome.ok) continue;
    if (outcome.error instanceof MemberUnreachableError) {
      for (const member of outcome.error.members) missing.push(`${outcome.remote}/${member.name}`);
    } else missing.push(outcome.remote);
  }
  return { operations, outcomes, missing };
}
