/**
 * The errors the transport builds for what went wrong on the wire: an
 * unanswered request, a socket path that cannot be used, a failed
 * connection, a closed client, and the error text of an error envelope.
 *
 * @module
 */

import { causeText, ConnectionError, ProtocolError } from "../../core/errors.ts";
import { withoutQueries } from "../secrets.ts";
import { parseJson } from "../../core/body.ts";

/** Whether `error` means nothing answered (not a refusal, not a closed client). */
export function unanswered(error: unknown): boolean {
  return error instanceof ConnectionError && error.status === 0 &&
    !(error instanceof ProtocolError);
}

/** A refusal before any request: a socket or `config.yml` that cannot be used. */
export function connectError(message: string, endpoint: string): ConnectionError {
  return new ConnectionError(message, { status: 0, method: "CONNECT", path: "", endpoint });
}

/** Whether Deno or the system refused a permission. */
export const notPermitted = (error: unknown): boolean =>
  error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied;

/**
 * Why `path` is not a usable socket, or `undefined` when it is one (or
 * cannot be checked: without --allow-read the first request says what to add).
 */
export function socketProblem(
  path: string,
  stat: (path: string) => Pick<Deno.FileInfo, "isSocket" | "isFile" | "isDirectory" | "isFifo"> =
    Deno.statSync,
): string | undefined {
  try {
    const info = stat(path);
    if (info.isSocket === true) return undefined;
    const kind = info.isFile
      ? "a regular file"
      : info.isDirectory
      ? "a directory"
      : info.isFifo
      ? "a FIFO"
      : "something else";
    return `it is ${kind}, not a socket`;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "it does not exist (is the daemon running?)";
    if (error instanceof Deno.errors.NotCapable) return undefined;
    if (error instanceof Deno.errors.PermissionDenied) {
      return "permission denied (a folder on its path cannot be entered); " + JOIN_THE_GROUP;
    }
    return `it cannot be inspected (${error instanceof Error ? error.message : String(error)})`;
  }
}

/** The fix for a socket the user may not use. */
const JOIN_THE_GROUP = "add your user to the incus-admin (or lxd) group, or run as root";

/** Why a socket could not be used, after a failed request (`detail`: the failure's text). */
function describeSocket(path: string, detail: string): string {
  const problem = socketProblem(path);
  if (problem !== undefined) {
    return `${problem}; point INCUS_SOCKET / LXD_SOCKET (or connect({ socket })) at the ` +
      "daemon's unix.socket";
  }
  if (/os error 13\b|permission denied/i.test(detail)) {
    return `permission denied; ${JOIN_THE_GROUP}`;
  }
  return "the connection failed; check that the daemon is running and that you may use " +
    "its socket (member of the incus-admin or lxd group, or root)";
}

/** The error text of an error envelope, else `HTTP <status>`. */
export function errorText(text: string, status: number): string {
  // Not JSON: the status says enough.
  const body = parseJson(text) as { error?: unknown } | null | undefined;
  return typeof body?.error === "string" && body.error !== "" ? body.error : `HTTP ${status}`;
}

/** The error of a request on a closed client. */
export function closedError(method: string, path: string, endpoint: string): ConnectionError {
  const init = { status: 0, method, path, endpoint };
  return new ConnectionError(`${method} ${path}: the client for ${endpoint} is closed`, init);
}

/**
 * Explains a failed connection to `endpoint` (a socket path when `isSocket`,
 * else a URL origin), naming the fix.
 */
export function connectionError(
  error: unknown,
  method: string,
  path: string,
  endpoint: string,
  isSocket: boolean,
): ConnectionError {
  const raw = error instanceof Error ? causeText(error) : String(error);
  // Deno's text names the URL, whose query may hold a secret: masked, and
  // then the original is not kept as the cause either.
  const detail = withoutQueries(raw);
  const cause = detail === raw ? error : new Error(detail);
  const init = { status: 0, method, path, endpoint, cause };
  const request = path === "" ? method : `${method} ${path}`;
  const grant = isSocket
    ? `--allow-read=${endpoint} --allow-write=${endpoint} --allow-net=unix:${endpoint},127.0.0.1:80`
    : `--allow-net=${new URL(endpoint).host}`;
  const why = notPermitted(error)
    ? `Deno may not reach ${endpoint}: run deno with ${grant}`
    : isSocket
    ? `cannot use the socket ${endpoint}: ${describeSocket(endpoint, detail)} (${detail})`
    : `cannot reach ${endpoint}: ${detail} ` +
      "(check the URL, that the daemon listens there, and its certificate)";
  return new ConnectionError(`${request}: ${why}`, init);
}
