/**
 * How the fake servers read a request body: at most `maxBodyBytes`, within
 * `bodyTimeoutMs`, so that a broken or hostile client in a test can neither
 * grow the test process without bound nor hold a handler forever.
 *
 * @module
 */

import { readBytesLimited } from "../core/body.ts";

/**
 * The bounds of a request body the fake servers read
 * (`FakeDaemon.start(options)`, `FakeLongRunning.start(options)`).
 *
 * @example
 * ```ts
 * import { FakeDaemon } from "@incusops/operations/testing";
 *
 * await using daemon = await FakeDaemon.start({ maxBodyBytes: 64 * 1024, bodyTimeoutMs: 1_000 });
 * console.log(daemon.path.endsWith("unix.socket")); // true
 * ```
 */
export interface BodyLimits {
  /**
   * The most bytes of a request body read: a larger one is answered HTTP
   * 413 (unread past its declared length, else as soon as it passes).
   *
   * @default {1_048_576}
   */
  maxBodyBytes?: number;
  /**
   * How long a request body may take to arrive, ms: a slower one is
   * answered HTTP 408.
   *
   * @default {10_000}
   */
  bodyTimeoutMs?: number;
}

/** A request body the fake refuses: the HTTP status to answer, and why. */
export class BodyRefused extends Error {
  /**
   * @param status 413 (too large), 408 (too slow) or 400 (unreadable).
   * @param message Why, naming the option that lifts the bound.
   */
  constructor(readonly status: 400 | 408 | 413, message: string) {
    super(message);
    this.name = "BodyRefused";
  }
}

const decoder = new TextDecoder();

/**
 * Reads `request`'s body as text within `limits`.
 *
 * @throws {BodyRefused} Too large, too slow, or unreadable.
 */
export async function readBody(request: Request, limits: BodyLimits): Promise<string> {
  const { maxBodyBytes = 1_048_576, bodyTimeoutMs = 10_000 } = limits;
  if (request.body === null) return "";
  const late = new AbortController();
  const timer = setTimeout(() => late.abort(), bodyTimeoutMs);
  const body = request.body.pipeThrough(new TransformStream(), { signal: late.signal });
  const tooLarge = (size: string) =>
    new BodyRefused(
      413,
      `request body of ${size}: over the ${maxBodyBytes}-byte limit (maxBodyBytes)`,
    );
  try {
    const response = new Response(body, { headers: request.headers });
    return decoder.decode(await readBytesLimited(response, maxBodyBytes, tooLarge));
  } catch (error) {
    if (error instanceof BodyRefused) throw error;
    throw late.signal.aborted
      ? new BodyRefused(408, `request body not received within ${bodyTimeoutMs} ms (bodyTimeoutMs)`)
      : new BodyRefused(400, `request body unreadable: ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}
