/**
 * Bearer tokens (OIDC access tokens) on every request and websocket: a
 * fixed `token`, or `getToken` asked before each attempt and once more,
 * forcing a refresh, when the server refuses the token. The token is a
 * secret: it never appears in an error, a cause or `Deno.inspect`.
 *
 * @module
 */

import { causeText, IncusOpsError, InvalidArgumentError } from "../../core/errors.ts";
import { timeLimit } from "../../core/deadlines.ts";
import { abortable, anySignal } from "../../core/signals.ts";
import { describeValue, invalidArgument } from "../../core/validate.ts";
import { AuthenticationError } from "../errors.ts";

/** What `getToken` is told besides the signal. */
export interface GetTokenOptions {
  /**
   * `true` after the server refused the last token: return a fresh one
   * (refresh it at the issuer), not a cached one.
   */
  forceRefresh: boolean;
  /** The OIDC issuer the server named in its last refusal (`X-Incus-OIDC-Issuer`), if any. */
  issuer?: string;
  /** The OIDC client id the server named in its last refusal (`X-Incus-OIDC-ClientID`), if any. */
  clientId?: string;
}

/**
 * Gives the bearer token of a request: called before each attempt, and
 * with `forceRefresh: true` once after the server refused a token. The
 * signal is the request's (its time limit, its caller's signal, `close()`);
 * a forced refresh is one call shared by every request refused meanwhile,
 * with a signal of its own (`requestTimeout` from its start, `close()`).
 * The call loses to its signal even when it ignores it.
 *
 * @example
 * ```ts
 * import type { GetToken } from "@incusops/operations";
 *
 * let cached = "";
 * const getToken: GetToken = (_signal, { forceRefresh }) => {
 *   if (cached === "" || forceRefresh) cached = "token-from-your-issuer";
 *   return cached;
 * };
 * console.log(await getToken(AbortSignal.timeout(1000), { forceRefresh: false }));
 * ```
 */
export type GetToken = (
  signal: AbortSignal,
  options: GetTokenOptions,
) => string | Promise<string>;

/** A bearer token's characters (RFC 6750 `b64token`, and any visible ASCII a provider may use). */
const TOKEN = /^[\x21-\x7e]+$/;

/** Checks a token without ever showing it. */
function checkToken(token: unknown, from: string): string {
  if (typeof token !== "string" || !TOKEN.test(token)) {
    const what = typeof token === "string"
      ? `a string of ${token.length} characters, not all visible ASCII`
      : describeValue(token);
    throw new InvalidArgumentError(
      `invalid bearer token from ${from}: expected a non-empty string of visible ASCII ` +
        `characters, got ${what} (the token itself is never shown)`,
    );
  }
  return token;
}

/**
 * One run of a task at a time, shared by every caller (a token refresh),
 * under its own time limit: a caller's signal ends only its own wait, never
 * the run (an issuer may have rotated the refresh token already: a refresh
 * abandoned halfway would lose it). `stop` (the client's close) ends it.
 */
export class SharedRun<T> {
  #run: Promise<T> | undefined;

  /**
   * @param limitMs The run's own time limit, ms.
   * @param task The task, given the run's signal.
   * @param timedOut The error a run over its limit rejects with.
   * @param stop Ends the run in flight.
   */
  constructor(
    readonly limitMs: number,
    readonly task: (signal: AbortSignal) => T | Promise<T>,
    readonly timedOut: () => Error,
    readonly stop?: AbortSignal,
  ) {}

  /** Joins the run in flight, or starts one; `signal` ends this caller's wait only. */
  join(signal: AbortSignal): Promise<T> {
    if (signal.aborted) return Promise.reject(signal.reason);
    this.#run ??= this.#start().finally(() => this.#run = undefined);
    return abortable(this.#run, signal);
  }

  async #start(): Promise<T> {
    const limit = timeLimit(this.limitMs, { reason: this.timedOut });
    const signal = anySignal(limit.signal, this.stop)!;
    try {
      return await abortable(new Promise<T>((resolve) => resolve(this.task(signal))), signal);
    } finally {
      limit.clear();
    }
  }
}

/** The response headers Incus names its OIDC issuer in. */
const ISSUER_HEADER = "x-incus-oidc-issuer";
const CLIENT_ID_HEADER = "x-incus-oidc-clientid";

/**
 * The bearer credentials of one transport. Holds the token source, the
 * tokens handed out (to scrub them from any text shown), and what the
 * server said of its issuer.
 */
export class BearerAuth {
  readonly #token: string | undefined;
  readonly #getToken: GetToken | undefined;
  readonly #hint: string;
  readonly #remote: string;
  /** Every token handed out, to scrub from texts (at most the last few). */
  readonly #seen: string[] = [];
  /** The forced refresh in flight, shared by every request refused meanwhile. */
  readonly #refresh: SharedRun<string>;
  /** The token the last forced refresh gave. */
  #refreshed: string | undefined;
  /** How many forced refreshes were made. */
  refreshes = 0;
  /** The issuer the server named in its last refusal. */
  issuer: string | undefined;
  /** The client id the server named in its last refusal. */
  clientId: string | undefined;

  /**
   * @param source `token` or `getToken` (one of them).
   * @param context `hint`: what to do when the server refuses the token
   * (ends the error message); `remote`: the remote errors name; `limitMs`:
   * the forced refresh's own time limit; `closed`: ends it.
   */
  constructor(
    source: { token?: string; getToken?: GetToken },
    context: { hint?: string; remote: string; limitMs: number; closed?: AbortSignal },
  ) {
    this.#remote = context.remote;
    if (source.token !== undefined && source.getToken !== undefined) {
      throw new InvalidArgumentError("give token or getToken, not both");
    }
    if (source.getToken !== undefined && typeof source.getToken !== "function") {
      throw invalidArgument("getToken", source.getToken, "a function");
    }
    this.#token = source.token === undefined ? undefined : checkToken(source.token, "token");
    if (this.#token !== undefined) this.#seen.push(this.#token);
    this.#getToken = source.getToken;
    this.#hint = context.hint ??
      (source.getToken === undefined
        ? "pass a valid token, or getToken to refresh it"
        : "getToken gave a refused token again after forceRefresh");
    this.#refresh = new SharedRun(context.limitMs, async (signal) => {
      this.refreshes++;
      return this.#refreshed = await this.#ask(signal, true);
    }, () =>
      new AuthenticationError(
        `${this.#remote}: getToken gave no refreshed token within ${context.limitMs} ms`,
        { remote: this.#remote, issuer: this.issuer },
      ), context.closed);
  }

  /** Whether a refused token may be refreshed (and the request tried once more). */
  get refreshable(): boolean {
    return this.#getToken !== undefined;
  }

  /**
   * The `authorization` header value for one attempt.
   *
   * @param signal The request's signal.
   * @param refused The header value the server refused, if it did.
   */
  async header(signal: AbortSignal, refused?: string): Promise<string> {
    if (this.#getToken === undefined) return `Bearer ${this.#token}`;
    // A getToken that never settles loses to the request's signal.
    if (refused === undefined) return `Bearer ${await abortable(this.#ask(signal, false), signal)}`;
    // Refused with a token older than the last refresh's: that one is tried
    // again. Requests refused together share one refresh, under its own limit.
    const [seen, fresh] = [this.#seen, this.#refreshed];
    const older = fresh !== undefined && seen.indexOf(refused.slice(7)) < seen.indexOf(fresh);
    return `Bearer ${older ? fresh : await this.#refresh.join(signal)}`;
  }

  async #ask(signal: AbortSignal, forceRefresh: boolean): Promise<string> {
    const options: GetTokenOptions = { forceRefresh };
    if (this.issuer !== undefined) options.issuer = this.issuer;
    if (this.clientId !== undefined) options.clientId = this.clientId;
    let given: unknown;
    try {
      given = await this.#getToken!(signal, options);
    } catch (error) {
      if (error instanceof IncusOpsError || signal.aborted) throw error;
      const why = error instanceof Error ? causeText(error) : String(error);
      throw new AuthenticationError(
        `${this.#remote}: getToken failed: ${this.scrub(why)}`,
        { remote: this.#remote, issuer: this.issuer },
      );
    }
    const token = checkToken(given, "getToken");
    if (!this.#seen.includes(token)) {
      this.#seen.push(token);
      if (this.#seen.length > 8) this.#seen.shift();
    }
    return token;
  }

  /** Notes the issuer a refusal names (from its headers). */
  noteRefusal(headers: Headers): void {
    this.issuer = headers.get(ISSUER_HEADER) || this.issuer;
    this.clientId = headers.get(CLIENT_ID_HEADER) || this.clientId;
  }

  /**
   * `text` with every token handed out replaced by `<token>`; a long token
   * cut short (an excerpt of an answer that echoed it) goes from its first
   * characters on.
   */
  scrub(text: string): string {
    let clean = text;
    for (const token of this.#seen) {
      clean = clean.replaceAll(token, "<token>");
      const head = token.length >= 16 ? token.slice(0, 12) : undefined;
      if (head !== undefined && clean.includes(head)) {
        const parts = clean.split(head);
        clean = [parts[0], ...parts.slice(1).map((part) => part.replace(/^[\x21-\x7e]*/, ""))]
          .join("<token>");
      }
    }
    return clean;
  }

  /**
   * Removes every token handed out from `error`'s message and stack and its
   * causes' (the one place every error of a request or websocket passes).
   */
  clean<E>(error: E): E {
    let e: unknown = error;
    for (let depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
      const [message, stack] = [this.scrub(e.message), this.scrub(String(e.stack))];
      try {
        if (message !== e.message) e.message = message;
        if (stack !== String(e.stack)) e.stack = stack;
      } catch {
        // a read-only message (a DOMException's): made here, never from a token
      }
    }
    return error;
  }

  /**
   * The error for a refused token.
   *
   * @param serverText The server's error text.
   * @param init The status and request.
   */
  refused(
    serverText: string,
    init: { status: number; method: string; path: string; remote: string },
  ): AuthenticationError {
    const said = this.scrub(serverText);
    const issuer = this.issuer === undefined ? "" : ` (issuer ${this.issuer})`;
    const request = init.path === "" ? init.method : `${init.method} ${init.path}`;
    return new AuthenticationError(
      `${request}: ${init.remote} refused the bearer token${issuer}: ${said}; ${this.#hint}`,
      { ...init, issuer: this.issuer },
    );
  }

  /** Never shows a token. */
  [Symbol.for("Deno.customInspect")](): string {
    return `BearerAuth { ${this.#getToken === undefined ? "token" : "getToken"}: <hidden> }`;
  }
}
