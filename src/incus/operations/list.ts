/**
 * Listing operations: one `GET /1.0/operations`, or, for `allProjects` on a
 * server that ignores `all-projects` (LXD 5.0), one list per project merged.
 *
 * @module
 */

import { ProtocolError } from "../../core/errors.ts";
import { type Operation, type OperationsByStatus, STATUS_KEYS } from "../operation.ts";
import type { ListOptions } from "./options.ts";
import { COLLECTION, type OperationsContext } from "./context.ts";
import { type OperationsByMember, PROBES_AT_ONCE } from "../cluster.ts";
import { boundedConcurrency } from "../../core/concurrency.ts";
import { type CallScope, scopeQuery } from "../call_scope.ts";

const ALL_PROJECTS_EXTENSION = "operations_get_query_all_projects";

/** The server's answer to a list: items (operations or URLs) by status. */
export type StatusGroups = Record<string, unknown[]>;

/** Lists operations for one client; remembers whether it honours `all-projects`. */
export class Lister {
  readonly #context: OperationsContext;

  constructor(context: OperationsContext) {
    this.#context = context;
  }

  /** The operations (`recursion: 1`), oldest first, or their ids (`recursion: 0`). */
  async list(scope: CallScope, options: ListOptions): Promise<Operation[] | string[]> {
    const recursion = options.recursion ?? 1;
    const groups = await this.fetch(scope, options.allProjects, recursion);
    const { members } = this.#context;
    if (recursion === 0) {
      const ids = Object.values(groups).flat().map((url) => idFromUrl(url as string));
      return await members.verify(ids, [], scope, options.partial);
    }
    const ops = sortOldestFirst(groups as Record<string, Operation[]>);
    return await members.verify(ops, ops, scope, options.partial);
  }

  /** The operations grouped by lower-case status; every status key present. */
  async listByStatus(scope: CallScope, options: ListOptions): Promise<OperationsByStatus> {
    const byStatus = await this.fetch(scope, options.allProjects, 1) as Record<string, Operation[]>;
    const all = sortOldestFirst(byStatus);
    const kept = new Set(await this.#context.members.verify(all, all, scope, options.partial));
    const groups = {} as OperationsByStatus;
    for (const key of STATUS_KEYS) groups[key] = [];
    for (const [key, ops] of Object.entries(byStatus)) {
      (groups as Record<string, Operation[]>)[key.toLowerCase()] = sortOldestFirst({ key: ops })
        .filter((op) => kept.has(op));
    }
    return groups;
  }

  /** The operations grouped by cluster member, with the members not heard from. */
  async listByMember(scope: CallScope, options: ListOptions): Promise<OperationsByMember> {
    const groups = await this.fetch(scope, options.allProjects, 1);
    const all = sortOldestFirst(groups as Record<string, Operation[]>);
    return await this.#context.members.group(all, scope);
  }

  /** The server's status groups of the scope's project (or every project). */
  async fetch(
    scope: CallScope,
    allProjects: boolean | undefined,
    recursion: 0 | 1,
  ): Promise<StatusGroups> {
    if (allProjects && !(await this.#supportsAllProjects(scope.signal))) {
      return await this.#fetchEveryProject(scope, recursion);
    }
    const query = allProjects
      ? `recursion=${recursion}&all-projects=true`
      : scopeQuery({ project: scope.project }, `recursion=${recursion}`);
    const envelope = await this.#context.transport.get(COLLECTION, query, scope);
    return this.#groups(envelope.metadata, recursion);
  }

  /**
   * A list's `metadata`, checked: status groups (`null` when none) of
   * operations (`recursion: 1`) or their URLs; anything else is a
   * {@linkcode ProtocolError} naming where it is (a string's characters,
   * an array's items are its groups: none is a list).
   */
  #groups(metadata: unknown, recursion: 0 | 1): StatusGroups {
    const groups: StatusGroups = Object.create(null); // a "constructor" group is a group
    const odd = (item: { id?: unknown } | null) =>
      recursion === 0 ? typeof item !== "string" : typeof item?.id !== "string";
    for (const [status, items] of Object.entries(metadata ?? {})) {
      const at = items === null ? -1 : Array.isArray(items) ? items.findIndex(odd) : -2;
      if (at === -1 && items !== null) groups[status] = items;
      if (at === -1) continue;
      const value = at >= 0 ? items[at] : items;
      const where = `metadata.${status}${at >= 0 ? `[${at}]` : ""}`;
      const what = at === -2 ? "a list" : recursion === 0 ? "an operation URL" : "an operation";
      const shown = value === null ? "null" : typeof value;
      const endpoint = this.#context.transport.endpoint;
      const init = { status: 200, method: "GET", path: COLLECTION, endpoint };
      throw new ProtocolError(`GET ${COLLECTION}: ${shown} at ${where}, not ${what}`, init);
    }
    return groups;
  }

  /**
   * Whether the server honours `all-projects` on operations (API extension
   * `operations_get_query_all_projects`). LXD 5.0 ignores the parameter and
   * lists the default project only, so there the client asks every project.
   */
  async #supportsAllProjects(signal: AbortSignal | undefined): Promise<boolean> {
    const { api_extensions: extensions } = await this.#context.members.server(signal);
    return Array.isArray(extensions) && extensions.includes(ALL_PROJECTS_EXTENSION);
  }

  /** Lists every project's operations, one request each, merged by status. */
  async #fetchEveryProject(scope: CallScope, recursion: 0 | 1): Promise<StatusGroups> {
    const path = "/1.0/projects";
    const urls = (await this.#context.transport.get(path, "recursion=0", scope)).metadata ?? [];
    let names: string[];
    try {
      names = (urls as string[]).map((url) => decodeURIComponent(idFromUrl(url)));
    } catch { // not a list of strings (TypeError) or a bad %-encoding (URIError)
      const init = { status: 200, method: "GET", path, endpoint: this.#context.transport.endpoint };
      throw new ProtocolError(`GET ${path}: not a list of project URLs`, init);
    }
    const limit = boundedConcurrency(PROBES_AT_ONCE); // a few projects at a time, as members
    const lists = await Promise.all(
      names.map((project) => limit(() => this.fetch({ ...scope, project }, false, recursion))),
    );
    const merged: StatusGroups = Object.create(null);
    for (const groups of lists) {
      for (const [status, items] of Object.entries(groups)) {
        const list = merged[status] ??= [];
        for (const item of items) list.push(item); // no spread: safe for any length
      }
    }
    return merged;
  }
}

/** The id at the end of an operation URL (`/1.0/operations/<id>?project=x`). */
export function idFromUrl(url: string): string {
  const end = url.indexOf("?");
  const path = end === -1 ? url : url.slice(0, end);
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Flattens the status groups into one list, oldest first (exported for its tests). */
export function sortOldestFirst(byStatus: Record<string, Operation[]>): Operation[] {
  const all: Operation[] = [];
  for (const ops of Object.values(byStatus)) {
    if (Array.isArray(ops)) { for (const op of ops) all.push(op); }
  }
  if (all.length < 2) return all;
  // Date.parse handles any offset but stops at the millisecond; ties (one
  // server creates many operations a millisecond) go to the digits after it.
  const keyed = all.map((op) => ({ op, ms: Date.parse(op.created_at), text: op.created_at }));
  keyed.sort((a, b) =>
    a.ms - b.ms || compareText(pastMillisecond(a.text), pastMillisecond(b.text)) ||
    compareText(a.text, b.text)
  );
  return keyed.map((entry) => entry.op);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The fraction digits of an RFC 3339 time past the millisecond, padded to
 * six: Go trims trailing zeros (`.61699Z` is `.616990`), so the text alone
 * misorders them (`Z` sorts after any digit).
 */
function pastMillisecond(time: string): string {
  const dot = typeof time === "string" ? time.indexOf(".") : -1;
  if (dot === -1) return "000000";
  let end = dot + 1;
  while (end < time.length && time.charCodeAt(end) >= 48 && time.charCodeAt(end) <= 57) end++;
  return time.slice(Math.min(dot + 4, end), end).padEnd(6, "0");
}
