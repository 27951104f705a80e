/**
 * {@linkcode Transport.request} for a short-lived client
 * (`connect({ shortLived: true })` on a Unix socket): each request on a
 * connection of its own through {@linkcode leanRequest} instead of
 * `fetch`, with the same time limit, abort, close and errors as the
 * pooled path.
 *
 * @module
 */

import { IncusOpsError, ProtocolError, ResponseTimeoutError } from "../../core/errors.ts";
import { decodeEnvelope, type Envelope } from "./envelope.ts";
import { leanRequest } from "./lean_http.ts";
import type { Transport } from "./transport.ts";
import type { RequestInit } from "./transport_options.ts";
import { closedError, connectionError, redirectError } from "./transport_errors.ts";

const decoder = new TextDecoder();

/** Abort reasons of the request's own controller. */
const TIMED_OUT = Symbol("timed out");
const CLOSED = Symbol("client closed");

/**
 * Sends one request to `transport`'s socket and decodes the envelope, as
 * {@linkcode Transport.request} does: the signal's reason on abort,
 * {@linkcode ResponseTimeoutError} past the time limit, a
 * {@linkcode ConnectionError} naming the socket and the fix when it cannot
 * be used or the client is closed, a {@linkcode ProtocolError} for a
 * redirect or an answer over `maxResponseBytes`.
 */
export async function leanEnvelope(
  transport: Transport,
  method: string,
  path: string,
  init: RequestInit,
): Promise<Envelope> {
  const { signal } = init;
  signal?.throwIfAborted();
  const socket = transport.target;
  if (transport.closed) throw closedError(method, path, socket);
  const limit = init.timeout ?? transport.requestTimeout;
  const max = transport.maxResponseBytes;
  const controller = new AbortController();
  const onAbort = signal && (() => controller.abort(signal.reason));
  const onClose = () => controller.abort(CLOSED);
  signal?.addEventListener("abort", onAbort!);
  transport.closedSignal.addEventListener("abort", onClose);
  // Not setTimeout: a process's first use of that global costs several ms,
  // more than the request. The alarm stays armed after the request (unref'd).
  const alarm = AbortSignal.timeout(limit);
  const onAlarm = () => controller.abort(TIMED_OUT);
  alarm.addEventListener("abort", onAlarm);
  try {
    const answer = await leanRequest({
      socket,
      method,
      target: init.query ? `${path}?${init.query}` : path,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: controller.signal,
      maxBytes: max,
      tooLarge: (size, status) =>
        new ProtocolError(
          `${method} ${path}: the answer from ${socket} is ${size}, over the ` +
            `${max}-byte limit (raise maxResponseBytes to accept it)`,
          { status, method, path, target: socket },
        ),
    });
    transport.answered = true;
    if (answer.status >= 300 && answer.status < 400) {
      throw redirectError(answer, method, path, socket);
    }
    return decodeEnvelope(decoder.decode(answer.body), answer.status, method, path, socket);
  } catch (error) {
    const reason = controller.signal.aborted ? controller.signal.reason : undefined;
    if (reason === TIMED_OUT) {
      throw new ResponseTimeoutError(
        `${method} ${path}: no complete answer from ${socket} within ${limit} ms ` +
          `(raise requestTimeout if the daemon is just slow)`,
        { status: 0, method, path, target: socket, cause: error },
      );
    }
    if (reason === CLOSED) throw closedError(method, path, socket);
    if (reason !== undefined) throw reason;
    if (error instanceof IncusOpsError) throw error;
    throw connectionError(error, method, path, socket, true);
  } finally {
    alarm.removeEventListener("abort", onAlarm);
    signal?.removeEventListener("abort", onAbort!);
    transport.closedSignal.removeEventListener("abort", onClose);
  }
}
