/**
 * The errors the transport builds for what went wrong on the wire: a refused
 * redirect, an unanswered request, a socket path that cannot be used, and the
 * error text of an error envelope.
 *
 * @module
 */

import { ConnectionError, ProtocolError } from "../../core/errors.ts";

/**
 * The error for a 3xx answer: Incus and LXD never redirect API calls, so a
 * redirect is refused, naming only the origin it pointed to (its path and
 * query may hold anything).
 */
export function redirectError(
  response: Response,
  method: string,
  path: string,
  target: string,
): ProtocolError {
  const location = response.headers.get("location");
  const absolute = location === null ? null : URL.parse(location);
  const where = location === null
    ? "no location"
    : absolute === null || absolute.origin === "null"
    ? "a path of the same server"
    : absolute.origin;
  return new ProtocolError(
    `${method} ${path}: ${target} answered HTTP ${response.status}, a redirect to ${where}; ` +
      `Incus and LXD never redirect API calls, so it is not followed (is this the daemon?)`,
    { status: response.status, method, path, target },
  );
}

/** Whether `error` means nothing answered (not a refusal, not a closed client). */
export function unanswered(error: unknown): boolean {
  return error instanceof ConnectionError && error.status === 0 &&
    !(error instanceof ProtocolError);
}

/** Says what is wrong with a socket path, and how to fix it. */
export function describeSocket(path: string, detail: string): string {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return "it does not exist; is the daemon running? Start it, or set INCUS_SOCKET / " +
        "LXD_SOCKET (or pass connect({ socket })) to the daemon's unix.socket";
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      return "permission denied; add your user to the incus-admin (or lxd) group, or run as root";
    }
    return "it cannot be inspected; check the path";
  }
  if (info.isSocket !== true) {
    return "it is not a socket; point connect({ socket }) at the daemon's unix.socket";
  }
  if (/os error 13\b|permission denied/i.test(detail)) {
    return "permission denied; add your user to the incus-admin (or lxd) group, or run as root";
  }
  return "the connection failed; check that the daemon is running and that you may use " +
    "its socket (member of the incus-admin or lxd group, or root)";
}

/** The error text of an error envelope, else `HTTP <status>`. */
export function errorText(text: string, status: number): string {
  try {
    const body = JSON.parse(text);
    if (typeof body?.error === "string" && body.error !== "") return body.error;
  } catch {
    // not JSON: the status says enough
  }
  return `HTTP ${status}`;
}
