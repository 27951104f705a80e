/**
 * The Incus/LXD response envelope: what a successful answer holds, and its
 * decoding (error envelopes become {@linkcode IncusError}, anything else a
 * {@linkcode ProtocolError}).
 *
 * @module
 */

import { ProtocolError } from "../../core/errors.ts";
import { parseJson } from "../../core/body.ts";
import { IncusError } from "../errors.ts";
import { errorText } from "./transport_errors.ts";

/** What a successful (`sync` or `async`) answer holds. */
export interface Envelope {
  /** `sync` for an immediate answer, `async` when an operation was started. */
  type: "sync" | "async";
  /** Status text, e.g. "Success" or "Operation created". */
  status: string;
  /** Status code. */
  status_code: number;
  /** For `async`: the path of the operation, `/1.0/operations/<id>`. */
  operation: string;
  /** The answer itself. */
  metadata: unknown;
}

/** Decodes an Incus/LXD envelope, throwing for errors and garbage. */
export function decodeEnvelope(
  text: string,
  httpStatus: number,
  method: string,
  path: string,
  endpoint: string,
): Envelope {
  const body = parseJson(text);
  if (body === undefined) {
    throw new ProtocolError(
      `${method} ${path}: the answer from ${endpoint} is not JSON (HTTP ${httpStatus}, ` +
        `${text.length} characters: ${JSON.stringify(text.slice(0, 80))}); is this an Incus or ` +
        `LXD daemon?`,
      { status: httpStatus, method, path, endpoint },
    );
  }
  const envelope = body as Record<string, unknown> | null;
  const type = envelope !== null && typeof envelope === "object" ? envelope.type : undefined;
  if (type === "error") {
    const message = errorText(text, httpStatus);
    const code = typeof envelope!.error_code === "number" && envelope!.error_code !== 0
      ? envelope!.error_code
      : httpStatus;
    throw new IncusError(message, { status: code, method, path });
  }
  if (type !== "sync" && type !== "async") {
    throw new ProtocolError(
      `${method} ${path}: the answer from ${endpoint} is not an Incus/LXD envelope ` +
        `(HTTP ${httpStatus}, type ${JSON.stringify(type ?? null)})`,
      { status: httpStatus, method, path, endpoint },
    );
  }
  return envelope as unknown as Envelope;
}
