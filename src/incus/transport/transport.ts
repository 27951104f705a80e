/**
 * The one place requests are made: a pooled `Deno.HttpClient` over a Unix
 * socket or HTTPS, and the decoding of the Incus/LXD response envelope.
 *
 * @module
 */

import { Failover, memberOrigins } from "./failover.ts";
import { readBytesLimited, readTextLimited } from "../../core/body.ts";
import { type Clock, type Deadline, Deadlines, systemClock } from "../../core/deadlines.ts";
// deno-lint-ignore no-unused-vars -- for {@linkcode} in the docs
import type { ConnectionError } from "../../core/errors.ts";
import { IncusOpsError, ProtocolError } from "../../core/errors.ts";
import { abortError, redirectError, TimeLimitReached } from "../../core/request_errors.ts";
import { BearerAuth } from "./auth.ts";
import {
  type ClientOptions,
  connectRaw,
  createHttpClient,
  UNIX_POOL_IDLE_MS,
} from "./connections.ts";
import { decodeEnvelope, type Envelope } from "./envelope.ts";
import { closedError, connectionError, errorText, unanswered } from "./transport_errors.ts";
import type { RequestInit, TransportTarget } from "./target.ts";
import {
  resolveRetry,
  retryingAfter,
  type RetryOption,
  type RetryPolicy,
} from "../../core/retry.ts";
import { INCUS_RETRY, isTransient } from "./transient.ts";

export type { Envelope, RequestInit };
import { DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_REQUEST_TIMEOUT_MS } from "../../core/defaults.ts";

const decoder = new TextDecoder();

/** What `#sendOnce` gives `fetch`: Deno's init with its pooled client. */
type FetchInit = globalThis.RequestInit & {
  client: Deno.HttpClient;
  headers?: Record<string, string>;
};

/** Headers of a request with a JSON body. */
const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-type": "application/json",
});

/** Why a redirect is refused (it would re-send the body, perhaps in cleartext, elsewhere). */
const NOT_FOLLOWED = "Incus and LXD never redirect API calls, so it is not followed " +
  "(is this the daemon?)";

/**
 * Options of {@linkcode Transport.get}: the request's `signal`, `timeout`
 * (unset: `requestTimeout`) and `fresh` (a connection of its own, for long
 * polls), and this call's `retry` policy over the client's (`false`: none).
 */
export type GetInit = Pick<RequestInit, "signal" | "timeout" | "fresh"> & { retry?: RetryOption };

/** The reason in-flight requests end when the client is closed. */
class ClientClosed extends Error {}

/**
 * A pooled HTTP client for one daemon. Every request goes through
 * {@linkcode Transport.request}, which decodes the envelope and throws typed
 * errors.
 */
export class Transport {
  /** The socket path or URL requests go to (another member's after a failover). */
  endpoint: string;
  /** The pooled Deno HTTP client (shared with websockets). */
  readonly httpClient: Deno.HttpClient;
  /** `http://127.0.0.1` for a socket, the remote's origin otherwise (changes on failover). */
  origin: string;
  /** Cluster failover, with `members`. */
  readonly failover: Failover | undefined;
  readonly #isSocket: boolean;
  /** The per-request time limit in force, ms. */
  readonly requestTimeout: number;
  /** The largest response body accepted, bytes. */
  readonly maxResponseBytes: number;
  readonly #closed = new AbortController();
  /** Aborts when {@linkcode Transport.close} is called (raw connections end with it). */
  readonly closedSignal: AbortSignal = this.#closed.signal;
  /** The requests in flight, aborted by `close()` (a set: cheaper than a listener each). */
  readonly #inFlight = new Set<AbortController>();
  readonly #deadlines: Deadlines;
  readonly #clientOptions: ClientOptions;
  /** The bearer credentials, when a token or getToken was given. */
  readonly auth: BearerAuth | undefined;
  /** The remote named in authentication errors. */
  readonly remoteName: string;
  /** Where the client's time limits read the time (a manual one in tests). */
  readonly clock: Clock;
  /** The retry policy of GETs: the Incus default, the client's `retry` over it, a call's over both. */
  readonly #retryPolicy: (call?: RetryOption) => RetryPolicy | false;
  /** The client's retry policy of GETs. */
  readonly #retry: RetryPolicy | false;

  constructor(options: TransportTarget) {
    // Checked before a client exists: a refused option leaves nothing open.
    const base = {
      ...INCUS_RETRY,
      predicate: (e: unknown) => !this.closed && isTransient(e, this.answered),
    };
    this.#retryPolicy = (call) => resolveRetry(base, options.retry, call);
    this.#retry = this.#retryPolicy();
    this.requestTimeout = options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.clock = options.clock ?? systemClock;
    this.#deadlines = new Deadlines(this.clock);
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.remoteName = options.remoteName ??
      (options.url === undefined ? options.socket! : URL.parse(options.url)?.origin ?? options.url);
    // Checked before a client exists: a refused token leaves nothing open.
    this.auth = options.token === undefined && options.getToken === undefined
      ? undefined
      : new BearerAuth(options, {
        hint: options.authHint,
        remote: this.remoteName,
        limitMs: this.requestTimeout,
        closed: this.#closed.signal,
      });
    if (options.url !== undefined) {
      const origins = memberOrigins([options.url, ...options.members ?? []]);
      this.endpoint = this.origin = origins[0];
      this.failover = options.members === undefined ? undefined : new Failover(origins);
      this.#isSocket = false;
      const ca = options.ca === undefined ? undefined : [options.ca].flat();
      this.#clientOptions = { cert: options.cert, key: options.key, caCerts: ca };
      this.httpClient = createHttpClient(this.#clientOptions, this.endpoint);
    } else {
      const path = options.socket!;
      this.endpoint = path;
      this.failover = undefined;
      // A literal IP: Deno resolves the host name even over a Unix socket.
      this.origin = "http://127.0.0.1";
      this.#isSocket = true;
      // Incus 6.0.4 and LXD 5.0.2 read the first bytes of every new Unix
      // connection inside their accept loop: a connection that sends nothing
      // stops them accepting any other client. Deno's pool can open a spare
      // connection that it then leaves idle, so idle connections are closed soon.
      const proxy = { transport: "unix" as const, path };
      this.#clientOptions = { proxy, poolIdleTimeout: UNIX_POOL_IDLE_MS };
      // Made now: a socket Deno may not use fails connect().
      try {
        this.httpClient = createHttpClient(this.#clientOptions, path);
      } catch (error) {
        throw connectionError(error, "connect()", "", path, true);
      }
    }
  }

  /**
   * Whether the daemon answered this transport at least once (so a socket
   * that goes missing later means a restart, not a wrong path).
   */
  answered = false;

  /**
   * Opens a connection of its own to the daemon (its Unix socket, or TLS
   * with the client certificate and the trusted CAs), for what `fetch`
   * cannot pace: exec's websockets, read on demand. Resolves with the
   * connection and the `Host` to name; failures are
   * {@linkcode ConnectionError}s naming `method path` and the fix.
   */
  async connectRaw(method: string, path: string): Promise<{ conn: Deno.Conn; host: string }> {
    if (this.#closed.signal.aborted) throw closedError(method, path, this.endpoint);
    try {
      return await connectRaw(this.#isSocket, this.endpoint, this.origin, this.#clientOptions);
    } catch (error) {
      throw connectionError(error, method, path, this.endpoint, this.#isSocket);
    }
  }

  /** Whether {@linkcode Transport.close} was called. */
  get closed(): boolean {
    return this.#closed.signal.aborted;
  }

  /**
   * Sends one request and decodes the envelope. Resolves with a `sync` or
   * `async` envelope; throws {@linkcode IncusError} for an `error` envelope,
   * {@linkcode ConnectionError} when the daemon cannot be reached or its
   * answer read, and the signal's reason when `signal` aborts.
   */
  request(method: string, path: string, init: RequestInit = {}): Promise<Envelope> {
    // Without failover, straight to the one async function of the hot path.
    return this.failover === undefined
      ? this.#sendOnce<Envelope>(method, path, init)
      : this.#send<Envelope>(method, path, init);
  }

  /**
   * `GET path?query`, decoded as {@linkcode Transport.request} does, and
   * retried when it fails transiently (the client's policy, or the call's
   * `retry` over it); the happy path pays nothing for it.
   */
  get(path: string, query: string | undefined, options: GetInit): Promise<Envelope> {
    let policy = this.#retry;
    try {
      // A bad per-call policy is refused before anything is sent.
      if (options.retry !== undefined) policy = this.#retryPolicy(options.retry);
    } catch (error) {
      return Promise.reject(error);
    }
    const init = { query, signal: options.signal, timeout: options.timeout, fresh: options.fresh };
    // No async function around it: the happy path is the request's promise and one handler.
    return this.request("GET", path, init).catch((error) =>
      retryingAfter(error, ({ signal }) => this.request("GET", path, { ...init, signal }), policy, {
        signal: options.signal,
      })
    );
  }

  /**
   * Sends one request whose successful answer is not an envelope (e.g. a
   * log file) and resolves with its bytes. An error answer is decoded and
   * thrown as {@linkcode Transport.request} does.
   */
  requestBytes(method: string, path: string, init: RequestInit = {}): Promise<Uint8Array> {
    return this.#send(method, path, init, async (response) => {
      const max = this.maxResponseBytes;
      const bytes = await readBytesLimited(response, max, this.#tooLarge(response, method, path));
      if (response.ok) return bytes;
      const { status } = response;
      decodeEnvelope(decoder.decode(bytes), status, method, path, this.endpoint);
      const facts = { status, method, path, endpoint: this.endpoint };
      throw new ProtocolError(`${method} ${path}: HTTP ${status} from ${this.endpoint}`, facts);
    });
  }

  /** Points requests at another cluster member's origin (failover). */
  moveTo(origin: string): void {
    this.origin = this.endpoint = origin;
  }

  /**
   * Sends a request; with failover, learns the members first and, when the
   * member in use does not answer, moves to another and sends a GET again
   * there (a write is never sent twice: its error is thrown, the next call
   * goes to the new member).
   */
  async #send<T>(
    method: string,
    path: string,
    init: RequestInit,
    read?: (response: Response) => Promise<T>,
  ): Promise<T> {
    if (this.failover === undefined) return await this.#sendOnce(method, path, init, read);
    await this.failover.learn(this, init.signal);
    const origin = this.origin;
    try {
      return await this.#sendOnce(method, path, init, read);
    } catch (error) {
      if (!unanswered(error) || !(await this.failover.moveOff(this, origin, init.signal))) {
        throw error;
      }
      if (method !== "GET") throw error;
      return await this.#sendOnce(method, path, init, read);
    }
  }

  /**
   * Sends a request and reads its answer with `read` (by default, as an
   * envelope), mapping every failure.
   */
  async #sendOnce<T>(
    method: string,
    path: string,
    init: RequestInit,
    read?: (response: Response) => Promise<T>,
  ): Promise<T> {
    const { signal } = init;
    signal?.throwIfAborted();
    if (this.#closed.signal.aborted) throw closedError(method, path, this.endpoint);
    const controller = new AbortController();
    const onAbort = signal && (() => controller.abort(signal.reason));
    if (onAbort) signal!.addEventListener("abort", onAbort); // removed below; aborts once
    this.#inFlight.add(controller);
    const limit = init.timeout ?? this.requestTimeout;
    let deadline: Deadline | undefined;
    const url = init.query ? `${this.origin}${path}?${init.query}` : `${this.origin}${path}`;
    const client = init.fresh
      ? createHttpClient(this.#clientOptions, this.endpoint)
      : this.httpClient;
    // Only the members in use: fetch converts every member given (a GET's
    // method and empty headers and body showed in a CPU profile of gets).
    // Incus and LXD never redirect API calls: a redirect is never followed
    // (it would re-send the body, perhaps in cleartext, to another origin).
    const request: FetchInit = { client, signal: controller.signal, redirect: "manual" };
    if (method !== "GET") request.method = method;
    if (init.body !== undefined) {
      request.headers = JSON_HEADERS;
      request.body = JSON.stringify(init.body);
    }
    const auth = this.auth;
    try {
      if (auth !== undefined) {
        deadline = this.#deadlines.add(limit, () => controller.abort(new TimeLimitReached()));
        request.headers = {
          ...request.headers,
          authorization: await auth.header(controller.signal),
        };
      }
      const answer = fetch(url, request);
      // Armed once the request is on its way: the alarm's set-up (~0.5 ms on
      // a process's first request) overlaps the daemon's work.
      deadline ??= this.#deadlines.add(limit, () => controller.abort(new TimeLimitReached()));
      let response = await answer;
      this.answered = true;
      if (response.status >= 300 && response.status < 400) {
        await response.body?.cancel();
        throw redirectError(response, { method, path, endpoint: this.endpoint }, NOT_FOLLOWED);
      }
      if (auth !== undefined && response.status === 401) {
        // The token was refused: with getToken, one forced refresh and one retry.
        auth.noteRefusal(response.headers);
        if (auth.refreshable) {
          await response.body?.cancel();
          request.headers = {
            ...request.headers,
            authorization: await auth.header(controller.signal, request.headers!.authorization),
          };
          response = await fetch(url, request);
          if (response.status === 401) auth.noteRefusal(response.headers);
        }
        if (response.status === 401) {
          const text = await this.#readBody(response, method, path);
          const init = { status: 401, method, path, remote: this.remoteName };
          throw auth.refused(errorText(text, 401), init);
        }
      }
      if (read !== undefined) return await read(response);
      // The envelope, read here rather than in a helper: one async function
      // for the whole request (each nested one costs a promise and its turns).
      const length = response.headers.get("content-length");
      const text = length !== null && Number(length) <= this.maxResponseBytes
        ? await response.text()
        : await this.#readBody(response, method, path);
      return decodeEnvelope(text, response.status, method, path, this.endpoint) as T;
    } catch (error) {
      auth?.clean(error); // whatever the answer echoed of the token
      const { endpoint } = this;
      if (controller.signal.reason instanceof ClientClosed) {
        throw closedError(method, path, endpoint);
      }
      const aborted = abortError(controller.signal, error, { method, path, endpoint, limit });
      if (aborted !== undefined) throw aborted;
      if (error instanceof IncusOpsError) throw error;
      throw connectionError(error, method, path, endpoint, this.#isSocket);
    } finally {
      if (init.fresh) client.close();
      if (deadline !== undefined) this.#deadlines.clear(deadline);
      if (onAbort) signal!.removeEventListener("abort", onAbort);
      this.#inFlight.delete(controller);
    }
  }

  /** Reads the body as text, refusing more than `maxResponseBytes`. */
  #readBody(response: Response, method: string, path: string): Promise<string> {
    return readTextLimited(response, this.maxResponseBytes, this.#tooLarge(response, method, path));
  }

  #tooLarge(response: Response, method: string, path: string): (size: string) => ProtocolError {
    const max = this.maxResponseBytes;
    return (size) =>
      new ProtocolError(
        `${method} ${path}: the answer from ${this.endpoint} is ${size}, over the ` +
          `${max}-byte limit (raise maxResponseBytes to accept it)`,
        { status: response.status, method, path, endpoint: this.endpoint },
      );
  }

  /**
   * Rejects every request in flight with a {@linkcode ConnectionError} and
   * closes the pooled connections. Safe to call more than once.
   */
  close(): void {
    if (this.#closed.signal.aborted) return;
    this.#closed.abort();
    for (const controller of this.#inFlight) controller.abort(new ClientClosed());
    this.#deadlines.close();
    this.httpClient.close();
  }
}
