/**
 * `parseResources()`: the objects an operation touches, from the URLs in its
 * `resources`.
 *
 * @module
 */

import { ProtocolError } from "../core/errors.ts";
import { describeValue, invalidArgument } from "../core/validate.ts";
import type { Operation } from "./operation.ts";

/** One object an operation touches, parsed from one URL of its `resources`. */
export interface OperationResource {
  /**
   * The key the server filed the URL under: `instances`, `containers`,
   * `storage_volumes`, `images`, ...
   */
  kind: string;
  /** The object's name: the URL path's last segment, percent-decoded. */
  name: string;
  /**
   * The URL's `project` parameter, if any. `undefined` means not stated:
   * the default project, or (LXD 5.0 never states it) the operation's own.
   */
  project: string | undefined;
  /** The URL's `target` parameter (a cluster member), if any. */
  target: string | undefined;
  /** The URL's path, without its query (`/1.0/instances/c1`). */
  path: string;
  /** The URL exactly as the server gave it. */
  url: string;
}

/** A scheme (`https:`) or a network path (`//host`): a URL of another server. */
const FOREIGN = /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i;

/** Percent-decodes `text`, or keeps it as it is when it is not valid encoding. */
function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Parses one resource URL of `kind`; refuses one of another
 * server, or whose segments decode to `.`, `..` or hold a `/` (a name such
 * as `c1/../../etc/passwd` would lead a caller elsewhere).
 */
function parseUrl(kind: string, url: string): OperationResource {
  const hash = url.indexOf("#");
  const withoutHash = hash === -1 ? url : url.slice(0, hash);
  const mark = withoutHash.indexOf("?");
  const path = mark === -1 ? withoutHash : withoutHash.slice(0, mark);
  const params = new URLSearchParams(mark === -1 ? "" : withoutHash.slice(mark + 1));
  const names = path.split("/").filter((segment) => segment !== "").map(decode);
  const unsafe = names.find((name) => name === "." || name === ".." || name.includes("/"));
  if (FOREIGN.test(url) || unsafe !== undefined) {
    throw new ProtocolError(
      `operation resources.${kind}: ${describeValue(url)} is no path of this server's objects`,
      { endpoint: "" },
    );
  }
  return {
    kind,
    name: names.at(-1) ?? "",
    project: params.get("project") ?? undefined,
    target: params.get("target") ?? undefined,
    path,
    url,
  };
}

/**
 * The objects an operation touches, parsed from the URLs in its
 * `resources` (`{ instances: ["/1.0/instances/c1?project=p"] }`), in the
 * server's order: by kind, then URL. Odd data is tolerated: a `null` or odd
 * `resources` gives `[]`, entries that are not strings are left out, bad
 * percent-encoding is kept as it is; a URL of another server, or one whose
 * path segments decode to `.`, `..` or hold a `/`, is refused. The same
 * object filed under two kinds (LXD lists an instance under `instances` and
 * `containers`) appears once per kind.
 *
 * @param operation An operation, as `client.operations.get()` and the others give it.
 * @returns One entry per URL.
 * @throws {InvalidArgumentError} `operation` is not an object with `resources`.
 * @throws {ProtocolError} A URL of another server, or a path that leaves its collection.
 *
 * @example
 * ```ts
 * import { parseResources } from "@incusops/operations";
 * import { FakeDaemon } from "@incusops/operations/testing";
 *
 * await using daemon = await FakeDaemon.start();
 * const op = daemon.createOperation({
 *   resources: {
 *     instances: ["/1.0/instances/c1?project=p&target=m1"],
 *     storage_volumes: ["/1.0/storage-pools/default/volumes/custom/v1"],
 *   },
 * });
 * for (const { kind, name, project, target } of parseResources(op)) {
 *   console.log(kind, name, project, target);
 * }
 * // instances c1 p m1
 * // storage_volumes v1 undefined undefined
 * ```
 */
export function parseResources(operation: Pick<Operation, "resources">): OperationResource[] {
  if (operation === null || typeof operation !== "object" || !("resources" in operation)) {
    throw invalidArgument("operation", operation, 'an operation with "resources"');
  }
  const resources: unknown = operation.resources;
  if (resources === null || typeof resources !== "object" || Array.isArray(resources)) return [];
  const entries: OperationResource[] = [];
  for (const [kind, urls] of Object.entries(resources)) {
    if (!Array.isArray(urls)) continue;
    for (const url of urls) {
      if (typeof url === "string") entries.push(parseUrl(kind, url));
    }
  }
  return entries;
}
