/**
 * HTTPS failover across the members of a cluster: a client given several
 * member URLs (`connect({ url: [...] })`) learns the rest from
 * `/1.0/cluster/members`, and when the member in use stops answering it
 * moves to the first other member that does. Trust is cluster-wide (every
 * member serves the cluster certificate), so the same client certificate
 * and pinned certificate apply.
 *
 * @module
 */

import { readTextLimited } from "../../core/body.ts";
import { InvalidArgumentError } from "../../core/errors.ts";
import { anySignal } from "../../core/signals.ts";
import { invalidArgument } from "../../core/validate.ts";

/** Longest a candidate member may take to answer, ms (less when `requestTimeout` is). */
const PROBE_TIMEOUT_MS = 5_000;
/** Most member origins a client keeps (learned ones past it are left out). */
export const MAX_MEMBERS = 1_000;

/** What the failover needs of the transport it steers. */
export interface Steerable {
  /** The origin requests go to now. */
  readonly origin: string;
  /** The pooled client (certificates included). */
  readonly httpClient: Deno.HttpClient;
  /** The time limit of one request, ms: a whole move fits in it. */
  readonly requestTimeout: number;
  /** The largest answer read, bytes. */
  readonly maxResponseBytes: number;
  /** Whether the transport was closed. */
  readonly closed: boolean;
  /** Points the transport at another member's origin. */
  moveTo(origin: string): void;
}

/** Checks the URLs of `connect({ url: [...] })` and returns their origins. */
export function memberOrigins(urls: readonly unknown[]): string[] {
  if (urls.length === 0) {
    throw new InvalidArgumentError("invalid url []: expected at least one https: URL");
  }
  return [
    ...new Set(urls.map((value) => {
      const url = typeof value === "string" ? URL.parse(value) : null;
      if (url?.protocol !== "https:") throw invalidArgument("remote URL", value, "an https: URL");
      return url.origin;
    })),
  ];
}

/** The members' origins of one client, and the move from a silent one to a live one. */
export class Failover {
  #origins: string[];
  #learned = false;
  #moving: Promise<boolean> | undefined;
  /** When the last move happened (`performance.now()`), for reports. */
  lastMoveAt: number | undefined;

  /** @param origins The members' origins given to `connect()`, the first in use. */
  constructor(origins: string[]) {
    this.#origins = origins;
  }

  /** The members' origins known now. */
  get origins(): readonly string[] {
    return this.#origins;
  }

  /** Learns the other members once, from the member in use (errors ignored: not a cluster, or silent). */
  async learn(transport: Steerable, signal?: AbortSignal): Promise<void> {
    if (this.#learned) return;
    this.#learned = true;
    const found = await this.#members(transport, transport.origin, signal);
    if (found !== undefined) this.#merge(found);
  }

  /**
   * Moves `transport` off `failed` (an origin that did not answer) to the
   * first other member that answers `/1.0/cluster/members` (the whole move
   * within `requestTimeout`), learning the members from it. Resolves `true`
   * when the transport now points elsewhere (also when another request
   * already moved it), `false` when no member answered in time. Concurrent
   * calls share one move.
   */
  moveOff(transport: Steerable, failed: string, signal?: AbortSignal): Promise<boolean> {
    if (transport.closed) return Promise.resolve(false);
    if (transport.origin !== failed) return Promise.resolve(true);
    this.#moving ??= this.#move(transport, failed, signal).finally(() => {
      this.#moving = undefined;
    });
    return this.#moving;
  }

  async #move(transport: Steerable, failed: string, signal?: AbortSignal): Promise<boolean> {
    const at = this.#origins.indexOf(failed);
    // The others, starting after the failed one (so load spreads in order).
    const candidates = [...this.#origins.slice(at + 1), ...this.#origins.slice(0, Math.max(at, 0))]
      .filter((origin) => origin !== failed);
    // One time limit for the whole move, not one per member.
    const limit = anySignal(signal, AbortSignal.timeout(transport.requestTimeout));
    for (const origin of candidates) {
      if (transport.closed || limit?.aborted) return false;
      const found = await this.#members(transport, origin, limit);
      if (found === undefined) continue;
      this.#merge(found);
      transport.moveTo(origin);
      this.lastMoveAt = performance.now();
      return true;
    }
    return false;
  }

  /** The member URLs `origin` lists, or `undefined` when it does not answer usably. */
  async #members(
    transport: Steerable,
    origin: string,
    signal?: AbortSignal,
  ): Promise<string[] | undefined> {
    const timeout = AbortSignal.timeout(Math.min(PROBE_TIMEOUT_MS, transport.requestTimeout));
    try {
      const response = await fetch(`${origin}/1.0/cluster/members?recursion=1`, {
        client: transport.httpClient,
        signal: anySignal(signal, timeout),
        redirect: "manual", // a redirect (to cleartext, another origin) is no member's answer
      });
      if (!response.ok) {
        await response.body?.cancel();
        return response.status >= 300 && response.status < 400 ? undefined : [];
      }
      const text = await readTextLimited(response, transport.maxResponseBytes, Error);
      const members = (JSON.parse(text) as { metadata?: unknown })?.metadata;
      return (Array.isArray(members) ? members : []).flatMap((member: { url?: unknown }) =>
        typeof member?.url === "string" && member.url.startsWith("https://") ? [member.url] : []
      );
    } catch {
      return undefined;
    }
  }

  /** Adds the origins of `urls` not known yet, up to {@linkcode MAX_MEMBERS}. */
  #merge(urls: string[]): void {
    const known = new Set(this.#origins); // in order: the known ones first, then the new
    for (const url of urls) known.add(URL.parse(url)?.origin ?? this.#origins[0]);
    this.#origins = [...known].slice(0, MAX_MEMBERS);
  }
}
