/**
 * Incus clusters: which members a list heard from, and what a wait does
 * when the member running its operation cannot be reached.
 *
 * Measured on Incus 6.0.4: a member answering `GET /1.0/operations` asks
 * every other member and silently leaves out one it cannot reach;
 * `/1.0/cluster/members` goes on calling a dead member Online for a while
 * (until heartbeats miss); a request forwarded to a dead member (an
 * operation of it, `GET /1.0?target=<member>`) fails with HTTP 500 and a Go
 * text that varies ("Unable to connect to: <address> ...", "Server isn't
 * ready yet", "Missing event connection with target cluster member", the
 * last one after ~10 s). So a member counts as heard when the list holds one
 * of its operations, or when `GET /1.0?target=<member>` answers within the
 * probe time; nothing else is trusted.
 *
 * @module
 */

import { boundedConcurrency } from "../core/concurrency.ts";
import { ConnectionError, InvalidArgumentError, ResponseTimeoutError } from "../core/errors.ts";
import { pause } from "../core/pause.ts";
import { type Clock, systemClock } from "../core/deadlines.ts";
import { abortable } from "../core/signals.ts";
import { describeValue } from "../core/validate.ts";
import {
  IncusError,
  MemberUnreachableError,
  OperationNotFoundError,
  type UnreachableMember,
} from "./errors.ts";
import type { Operation } from "./operation.ts";
import type { Transport } from "./transport/transport.ts";

/** A member of `GET /1.0/cluster/members?recursion=1` (the fields used here). */
export interface ClusterMember {
  /** Its name, e.g. `m1`. */
  server_name: string;
  /** Its cluster address, e.g. `https://10.0.0.1:8443`. */
  url: string;
  /** `Online`, `Offline`, `Evacuated`, ... as the database last saw it (it lags). */
  status: string;
  /** The database's note on it, e.g. "Fully operational". */
  message?: string;
}

/** A list's operations grouped by the member they run on. */
export interface OperationsByMember {
  /**
   * Every member heard from, with its operations oldest first (`[]` when
   * it has none). Outside a cluster the one key is `none`.
   */
  members: Record<string, Operation[]>;
  /** The members that could not be heard from (their operations are missing). */
  unreachable: UnreachableMember[];
}

/** What `GET /1.0` says that the client uses. */
export interface ServerInfo {
  /** The API extensions the daemon has. */
  api_extensions?: unknown;
  /** Whether the daemon is a cluster member. */
  environment?: { server_clustered?: unknown };
}

/** What a list is about: its signal, and the cluster member (`target`) it is limited to. */
type ListScope = { signal?: AbortSignal; member?: string };

/** Cluster options of lists. */
export interface MemberListOptions {
  /**
   * Resolve with what was heard when some cluster members could not be
   * (default `false`: reject with {@linkcode MemberUnreachableError}, which
   * holds what was heard).
   *
   * @default {false}
   */
  partial?: boolean;
  /**
   * Only this cluster member's operations. The daemons ignore `target` on
   * `GET /1.0/operations`, so the client filters on `location`.
   */
  target?: string;
}

/** Longest a probe of one member may take, ms (a forwarded request to a member just lost can hang ~10 s). */
const PROBE_TIMEOUT_MS = 5_000;
/** Members (or, on LXD 5.0, projects) listed at once: a list on thousands sends no more. */
export const PROBES_AT_ONCE = 8;
/** Pause between looks at an operation whose member is unreachable, ms. */
const OUTAGE_RETRY_MS = 1_000;
/** Addresses in the daemons' Go texts: `https://host:port/...` or `to: host:port`. */
const ADDRESS_IN_TEXT = /(?:https:\/\/|connect to:? )(\[[0-9a-f:.]+\]|[A-Za-z0-9.-]+):(\d+)/gi;

/** The state of one wait across member outages. */
export interface Outage {
  /** When the operation was first found unreachable (on the client's clock). */
  since?: number;
  /** The members found down since then, once known. */
  members?: UnreachableMember[];
  /** The daemon's last error about it. */
  error?: IncusError;
}

/** What a timeout during an outage adds to its message: who is silent, and for how long. */
export function outageText(outage: Outage, now: number): string | undefined {
  if (outage.since === undefined) return undefined;
  const seconds = Math.round((now - outage.since) / 1000);
  return outage.members === undefined
    ? `the daemon could not reach it for ${seconds} s (${outage.error?.message})`
    : `its cluster member ${memberNames(outage.members)} has not answered for ${seconds} s`;
}

/** Members as errors name them: `m2 (https://10.0.0.2:8443)`. */
function memberNames(members: readonly UnreachableMember[], separator = " or "): string {
  return members.map((member) => `${member.name} (${member.address})`).join(separator);
}

/** The host:port pairs a daemon's error text names. */
export function addressesIn(text: string): string[] {
  return [...text.matchAll(ADDRESS_IN_TEXT)].map((match) => `${match[1]}:${match[2]}`);
}

/**
 * What a client knows of the cluster behind its daemon: whether there is
 * one, its members, and which of them answer. One per client.
 */
export class MemberWatch {
  readonly #transport: Transport;
  readonly #clock: Clock;
  #server: Promise<ServerInfo> | undefined;
  /** The last look at every member for waits in an outage, shared for a second. */
  #outageLook: { at: number; down: Promise<UnreachableMember[]> } | undefined;

  /**
   * @param transport The client's transport (its retried GETs).
   * @param clock Where outages are timed.
   */
  constructor(transport: Transport, clock: Clock = systemClock) {
    this.#transport = transport;
    this.#clock = clock;
  }

  /** The daemon's `GET /1.0` answer, read once (again after a failure). */
  server(signal?: AbortSignal): Promise<ServerInfo> {
    this.#server ??= this.#transport.get("/1.0", undefined, { signal }).then(
      (envelope) => Object(envelope.metadata),
      (error) => {
        this.#server = undefined;
        throw error;
      },
    );
    return this.#server;
  }

  /** Whether the daemon is a cluster member (a list's locations tell, else `GET /1.0`). */
  async clustered(operations: readonly Operation[], signal?: AbortSignal): Promise<boolean> {
    for (const { location } of operations) {
      if (location === "none") return false;
      if (location !== undefined && location !== "") return true;
    }
    return (await this.server(signal)).environment?.server_clustered === true;
  }

  /** The cluster's members, as the database has them. */
  async members(signal?: AbortSignal): Promise<ClusterMember[]> {
    const envelope = await this.#transport.get("/1.0/cluster/members", "recursion=1", { signal });
    const members: ClusterMember[] = Array.isArray(envelope.metadata) ? envelope.metadata : [];
    return members.filter((member) => typeof member?.server_name === "string");
  }

  /** Whether `member` answers a forwarded `GET /1.0?target=<member>` within the probe time. */
  async answers(member: ClusterMember, signal?: AbortSignal): Promise<boolean> {
    if (member.status === "Offline") return false;
    try {
      await this.#transport.get("/1.0", `target=${encodeURIComponent(member.server_name)}`, {
        signal,
        retry: false,
        timeout: PROBE_TIMEOUT_MS,
      });
      return true;
    } catch (error) {
      signal?.throwIfAborted();
      // The daemon itself is gone: that is not a member's outage.
      if (error instanceof ConnectionError && !(error instanceof ResponseTimeoutError)) {
        throw error;
      }
      return false;
    }
  }

  /**
   * The cluster's members (`undefined`: no cluster), once `target` (if
   * given) names one; else an {@linkcode InvalidArgumentError} naming them.
   */
  async known(target?: string, operations: readonly Operation[] = [], signal?: AbortSignal) {
    const all = await this.clustered(operations, signal) ? await this.members(signal) : undefined;
    if (target === undefined || all?.some((member) => member.server_name === target)) return all;
    const names = all?.map((member) => member.server_name).join(", ");
    throw new InvalidArgumentError(
      `unknown cluster member ${describeValue(target)} (target): ` +
        (names === undefined ? "the daemon is not a cluster member" : `the members are ${names}`),
    );
  }

  /**
   * A list's operations on `target` (all of them without one), the
   * cluster's members (only `target`, which must name one: see
   * {@linkcode MemberWatch.known}), and those of them not heard from: without
   * an operation in the list, they do not answer a probe (a few at once).
   */
  async unheard(
    operations: readonly Operation[],
    scope: ListScope = {},
  ): Promise<{ heard: Operation[]; members: ClusterMember[]; missing: UnreachableMember[] }> {
    const { member: target, signal } = scope;
    const heard = operations.filter((op) => target === undefined || op.location === target);
    const all = await this.known(target, heard, signal) ?? [];
    const members = all.filter((member) => target === undefined || member.server_name === target);
    const locations = new Set(heard.map((operation) => operation.location));
    const silent = members.filter((member) => !locations.has(member.server_name));
    const probe = boundedConcurrency(PROBES_AT_ONCE);
    const answers = await Promise.all(
      silent.map((member) => probe(() => this.answers(member, signal))),
    );
    const missing = silent.filter((_, index) => !answers[index]).map((member) => ({
      name: member.server_name,
      address: member.url,
    }));
    return { heard, members, missing };
  }

  /**
   * A list's operations (only `target`'s if given), checked: rejects with
   * {@linkcode MemberUnreachableError} when a member was not heard from,
   * unless `partial`.
   */
  async verify<T extends Operation | string>(
    items: T[],
    operations: Operation[],
    scope: ListScope,
    partial?: boolean,
  ): Promise<T[]> {
    const target = scope.member;
    const kept = target === undefined
      ? items
      : items.filter((item) => typeof item === "string" || item.location === target);
    const { heard, missing } = await this.unheard(operations, scope);
    if (missing.length === 0 || partial) return kept;
    throw new MemberUnreachableError(
      `cluster member${missing.length > 1 ? "s" : ""} ${memberNames(missing, ", ")} could not be ` +
        `heard from: the list lacks ${missing.length > 1 ? "their" : "its"} operations ` +
        `(${kept.length} heard from the others); pass partial: true to take what was heard`,
      {
        members: missing,
        operations: heard,
        ids: kept.map((item) => typeof item === "string" ? item : item.id),
        status: 200,
        method: "GET",
        path: "/1.0/operations",
      },
    );
  }

  /** Groups a list by member, with the members not heard from. */
  async group(operations: Operation[], scope: ListScope): Promise<OperationsByMember> {
    const { heard, members, missing } = await this.unheard(operations, scope);
    const groups: Record<string, Operation[]> = Object.create(null); // a member "constructor" too
    const down = new Set(missing.map((member) => member.name));
    for (const { server_name: name } of members) if (!down.has(name)) groups[name] = [];
    for (const operation of heard) (groups[operation.location || "none"] ??= []).push(operation);
    return { members: { ...groups }, unreachable: missing };
  }

  /**
   * The members down, as one look shared by every wait in an outage for a
   * second (300 waits on a dead member's operations probe once, not 300 times).
   */
  #downForOutage(signal: AbortSignal): Promise<UnreachableMember[]> {
    const now = this.#clock.now();
    if (this.#outageLook === undefined || now - this.#outageLook.at > OUTAGE_RETRY_MS) {
      this.#outageLook = { at: now, down: this.unheard([]).then((look) => look.missing, () => []) };
    }
    return abortable(this.#outageLook.down, signal);
  }

  /**
   * Called when an attempt of a wait on `uuid` failed with `error`: rethrows it
   * unless it is a member outage (a 5xx from a cluster with an unreachable
   * member). During an outage it pauses (1 s) and returns, so the wait
   * looks again, until `graceMs` has passed since the outage was first
   * seen; then it throws {@linkcode MemberUnreachableError}.
   */
  async duringOutage(
    uuid: string,
    error: unknown,
    outage: Outage,
    graceMs: number,
    signal: AbortSignal,
  ): Promise<void> {
    if (
      !(error instanceof IncusError) || error instanceof OperationNotFoundError ||
      error.status < 500 || !(await this.clustered([], signal).catch(() => false))
    ) {
      throw error;
    }
    outage.since ??= this.#clock.now();
    outage.error = error;
    const down = await this.#downForOutage(signal);
    if (down.length === 0) throw error;
    // The member the daemon's text names, when it names one of them.
    const named = addressesIn(error.message);
    // A member's address is its URL, `https://host:port`: its host:port, as written.
    const hostPort = (url: string) => url.replace(/^https:\/\//, "").replace(/\/.*$/, "");
    const culprits = down.filter((member) => named.includes(hostPort(member.address)));
    const members = outage.members = culprits.length > 0 ? culprits : down;
    const now = this.#clock.now();
    const left = graceMs - (now - outage.since);
    if (left <= 0) {
      throw new MemberUnreachableError(
        `operation ${uuid} runs on cluster member ${memberNames(members)}, which could not be ` +
          `reached for ${Math.round((now - outage.since) / 1000)} s (memberGraceMs: ${graceMs}); ` +
          `the operation may still be running there`,
        {
          members,
          operationId: uuid,
          status: error.status,
          method: error.method,
          path: error.path,
          cause: error,
        },
      );
    }
    await pause(Math.min(OUTAGE_RETRY_MS, left), signal, this.#clock);
  }
}
