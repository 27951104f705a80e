/**
 * Shared by the tests on the fake daemon: a fake daemon with a client on it,
 * closed together by `await using`, and a bounded wait for a condition (so
 * that no real sleep decides an assertion).
 *
 * @module
 */

import { type Client, connect, type ConnectOptions } from "../mod.ts";
import { FakeDaemon, type FakeDaemonOptions } from "../src/testing/mod.ts";

/** A running fake daemon and a client connected to it. */
export interface Fake extends AsyncDisposable {
  /** The fake daemon. */
  readonly daemon: FakeDaemon;
  /** A client on `daemon.path` (it connects lazily: nothing is sent before a call). */
  readonly client: Client;
}

/** The fake daemon's options, and the client's under `client`. */
export interface FakeOptions extends FakeDaemonOptions {
  /** Options of the client (its socket is the daemon's). */
  client?: Omit<ConnectOptions, "socket">;
}

/**
 * Starts a fake daemon and connects a client to it; disposing closes the
 * client, then the daemon.
 *
 * ```ts
 * await using t = await fake({ flavor: "lxd", client: { events: false } });
 * const { daemon, client } = t;
 * ```
 */
export async function fake(options: FakeOptions = {}): Promise<Fake> {
  const { client: clientOptions, ...daemonOptions } = options;
  const daemon = await FakeDaemon.start(daemonOptions);
  let client: Client;
  try {
    client = connect({ ...clientOptions, socket: daemon.path });
  } catch (error) {
    await daemon.close();
    throw error;
  }
  return {
    daemon,
    client,
    async [Symbol.asyncDispose]() {
      try {
        await client.close();
      } finally {
        await daemon.close();
      }
    },
  };
}

/** Options of {@linkcode until}. */
export interface UntilOptions {
  /** Give up (the test fails) after this many ms; a bound against hangs, never a measurement. */
  timeout?: number;
  /** Milliseconds between two checks. */
  interval?: number;
}

/**
 * Resolves once `condition` holds, checking every few ms; rejects when it
 * still does not hold after `timeout` (10 s by default: generous, so that a
 * loaded machine does not fail a test that is merely slow).
 */
export async function until(
  condition: () => boolean | Promise<boolean>,
  options: UntilOptions = {},
): Promise<void> {
  const { timeout = 10_000, interval = 5 } = options;
  const started = performance.now();
  while (!(await condition())) {
    if (performance.now() - started > timeout) {
      throw new Error(`still not true after ${timeout} ms: ${condition}`);
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/** Requests the daemon received whose path ends with `suffix` (e.g. `"/wait"`). */
export function requestsTo(daemon: FakeDaemon, suffix: string): number {
  return daemon.requests.filter((request) => request.path.endsWith(suffix)).length;
}

/**
 * How many times the daemon was asked for operations (lists and single
 * GETs, `/wait` aside): a waiter on events has read its operation once this
 * grew after it subscribed, so what the daemon does next reaches it only
 * through events, a reconnect or a resync.
 */
export function operationReads(daemon: FakeDaemon): number {
  return daemon.requests.filter((request) =>
    request.method === "GET" && request.path.startsWith("/1.0/operations") &&
    !request.path.endsWith("/wait")
  ).length;
}

/**
 * An answer of `chunks` × `chunkBytes` zero bytes with no declared length
 * (sent chunked): for the `maxResponseBytes` cap on undeclared bodies.
 */
export function undeclaredLengthResponse(chunks = 30, chunkBytes = 10_000): Response {
  return new Response(
    new ReadableStream({
      start(controller) {
        for (let i = 0; i < chunks; i++) controller.enqueue(new Uint8Array(chunkBytes));
        controller.close();
      },
    }),
  );
}
