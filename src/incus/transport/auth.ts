/**
 * Bearer tokens (OIDC access tokens) on every request and websocket: a
 * fixed `token`, or `getToken` asked before each attempt and once more,
 * forcing a refresh, when the server refuses the token. The token is a
 * secret: it never appears in an error, a cause or `Deno.inspect`.
 *
 * @module
 */

import { causeText, IncusOpsError, InvalidArgumentError } from "../../core/errors.ts";
import { describeValue } from "../../core/validate.ts";
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
 * with `forceRefresh: true` once after the server refused a token.
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
  #refreshing: Promise<string> | undefined;
  /** How many forced refreshes were made. */
  refreshes = 0;
  /** The issuer the server named in its last refusal. */
  issuer: string | undefined;
  /** The client id the server named in its last refusal. */
  clientId: string | undefined;

  /**
   * @param source `token` or `getToken` (one of them).
   * @param context `hint`: what to do when the server refuses the token
   * (ends the error message); `remote`: the remote errors name.
   */
  constructor(
    source: { token?: string; getToken?: GetToken },
    context: { hint?: string; remote: string },
  ) {
    const hint = context.hint;
    this.#remote = context.remote;
    if (source.token !== undefined && source.getToken !== undefined) {
      throw new InvalidArgumentError("give token or getToken, not both");
    }
    if (source.getToken !== undefined && typeof source.getToken !== "function") {
      throw new InvalidArgumentError(
        `invalid getToken ${describeValue(source.getToken)}: expected a function`,
      );
    }
    this.#token = source.token === undefined ? undefined : checkToken(source.token, "token");
    if (this.#token !== undefined) this.#seen.push(this.#token);
    this.#getToken = source.getToken;
    this.#hint = hint ??
      (source.getToken === undefined
        ? "pass a valid token, or getToken to refresh it"
        : "getToken gave a refused token again after forceRefresh");
  }

  /** Whether a refused token may be refreshed (and the request tried once more). */
  get refreshable(): boolean {
    return this.#getToken !== undefined;
  }

  /**
   * The `authorization` header value for one attempt.
   *
   * @param signal The request's signal.
   * @param forceRefresh Whether the last token was refused.
   */
  async header(signal: AbortSignal, forceRefresh = false): Promise<string> {
    if (this.#getToken === undefined) return `Bearer ${this.#token}`;
    let token: string;
    if (forceRefresh) {
      // Requests refused together share one refresh.
      this.#refreshing ??= this.#ask(signal, true).finally(() => {
        this.#refreshing = undefined;
        this.refreshes++;
      });
      token = await this.#refreshing;
    } else {
      token = await this.#ask(signal, false);
    }
    return `Bearer ${token}`;
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

  /** `text` with every token handed out replaced by `<token>`. */
  scrub(text: string): string {
    let clean = text;
    for (const token of this.#seen) clean = clean.replaceAll(token, "<token>");
    return clean;
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
