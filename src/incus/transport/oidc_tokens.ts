/**
 * The OIDC tokens the incus CLI stores for a remote with `auth_type: oidc`:
 * `<config dir>/oidctokens/<remote>.json`, the JSON of the Go client's
 * `oidc.Tokens` (`access_token`, `token_type`, `refresh_token`, `expiry`
 * as RFC 3339, `IDToken`, ...). A {@linkcode GetToken} over that file: it
 * gives the stored access token, and refreshes it with the refresh token at
 * the issuer's token endpoint (from its discovery document) when it has
 * expired or the server refused it, writing the file back as the CLI does
 * (mode 0600; here atomically: a temporary file renamed over it, through a
 * symbolic link). One refresh at a time, shared by every caller, under its
 * own time limit; the file is read again first (another process may have
 * refreshed). The refresh token goes only to an https issuer (http on a
 * loopback address) whose discovery document names itself, and never
 * through a redirect. There is no interactive (browser) login here: a
 * remote without usable tokens asks for a login with the incus CLI.
 *
 * @module
 */

import { parseJson, readTextLimited } from "../../core/body.ts";
import { causeText } from "../../core/errors.ts";
import { AuthenticationError } from "../errors.ts";
import { type GetToken, type GetTokenOptions, SharedRun } from "./auth.ts";
import { readSmallFile } from "./remote.ts";

/** Largest token file read, bytes. */
const MAX_TOKEN_FILE_BYTES = 64 * 1024;

/** Largest answer read from the issuer (discovery document, token endpoint), bytes. */
const MAX_ISSUER_BYTES = 1024 * 1024;

/** Longest one refresh may take (discovery document and token endpoint), ms. */
const REFRESH_TIMEOUT_MS = 30_000;

/** Longest lifetime believed of a refreshed access token, s (a year). */
const MAX_EXPIRES_IN_S = 365 * 24 * 3600;

/** A token this close to its expiry is refreshed first, ms. */
const EXPIRY_MARGIN_MS = 10_000;

/** The stored tokens: the fields used here, and every other field kept as read. */
interface StoredTokens {
  access_token?: string;
  token_type?: string;
  refresh_token?: string;
  expiry?: string;
  [field: string]: unknown;
}

/** Where a remote's tokens are stored by the incus CLI. */
export function oidcTokenPath(configDir: string, remote: string): string {
  return `${configDir}/oidctokens/${remote}.json`;
}

/** Options of {@linkcode oidcTokenSource}. */
export interface OidcTokenSourceOptions {
  /** Reads the clock, ms since the epoch (for tests; default `Date.now`). */
  now?: () => number;
  /** Longest one refresh at the issuer may take, ms (default 30 s). */
  refreshTimeout?: number;
}

/** A URL the refresh token may go to: https, or http on a loopback address. */
function issuerUrl(value: unknown): URL | undefined {
  const url = typeof value === "string" ? URL.parse(value) : null;
  const loopback = /^(127\.\d+\.\d+\.\d+|\[::1\]|localhost)$/.test(url?.hostname ?? "");
  return url?.protocol === "https:" || (url?.protocol === "http:" && loopback) ? url : undefined;
}

/**
 * A `getToken` over the incus CLI's stored tokens of `remote`.
 *
 * @param configDir The folder of `config.yml`.
 * @param remote The remote's name.
 * @param options The clock and the refresh's time limit.
 * @returns The token source.
 */
export function oidcTokenSource(
  configDir: string,
  remote: string,
  options: OidcTokenSourceOptions = {},
): GetToken {
  const path = oidcTokenPath(configDir, remote);
  const now = options.now ?? Date.now;
  const login = `log in with the incus CLI first (any command on the remote, e.g. ` +
    `"incus info ${remote}:", opens the OIDC login)`;
  const fail = (why: string, status = 0, cause?: string, hint = login) =>
    new AuthenticationError(`remote "${remote}": ${why}; ${hint}`, {
      status,
      remote,
      method: status === 0 ? "" : "POST",
      path: "",
      ...(cause === undefined ? {} : { cause: new Error(cause) }),
    });
  const refuse = (why: string) =>
    fail(`${why}: the refresh token was not sent`, 0, undefined, "check the server's oidc.issuer");
  /** The tokens in use: kept for the process even when they could not be written back. */
  let tokens: StoredTokens = {};
  /** The file's text when last read or written here (another process's refresh changes it). */
  let known: string | undefined;
  /** The issuer and client id of the last caller that asked for a refresh. */
  let asked: GetTokenOptions = { forceRefresh: false };

  /** Reads the file again; `true` when it changed since (its tokens are then in use). */
  const reload = async (): Promise<boolean> => {
    const text = await readSmallFile(path, MAX_TOKEN_FILE_BYTES, fail);
    if (text === undefined) throw fail(`no OIDC tokens in ${path}`);
    if (text === known) return false;
    const parsed = parseJson(text);
    if (parsed === undefined) throw fail(`${path} is not JSON`); // its text is a secret: never shown
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw fail(`${path} holds no token object`);
    }
    [known, tokens] = [text, parsed as StoredTokens];
    return true;
  };

  const expired = () => {
    if (typeof tokens.expiry !== "string" || tokens.expiry.startsWith("0001-")) return false;
    const at = Date.parse(tokens.expiry);
    return Number.isFinite(at) && at - EXPIRY_MARGIN_MS <= now();
  };

  /** One answer of the issuer as JSON: no redirect followed, at most MAX_ISSUER_BYTES. */
  const issuerJson = async (url: string, what: string, init: RequestInit) => {
    let response: Response;
    try {
      response = await fetch(url, { ...init, redirect: "manual" });
    } catch (error) {
      if (init.signal?.aborted) throw init.signal.reason;
      throw fail(`cannot reach ${what} ${url}`, 0, causeText(error));
    }
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      throw refuse(`${what} ${url} redirects (HTTP ${response.status}), followed by no token`);
    }
    const text = await readTextLimited(
      response,
      MAX_ISSUER_BYTES,
      (size) => fail(`${what} ${url} sent ${size}, over the ${MAX_ISSUER_BYTES}-byte limit`),
    );
    // Not JSON: {}, the status says enough (its text is never shown).
    const body: Record<string, unknown> = Object(parseJson(text));
    return { status: response.status, ok: response.ok, body };
  };

  const refresh = async (signal: AbortSignal): Promise<void> => {
    const refused = tokens.access_token;
    // Another process may have refreshed: its fresh access token is used as it is.
    if (await reload() && tokens.access_token !== refused && !expired()) return;
    const { issuer, clientId } = asked;
    if (typeof tokens.refresh_token !== "string" || tokens.refresh_token === "") {
      throw fail("the access token was refused or has expired, and there is no refresh token");
    }
    if (issuer === undefined || clientId === undefined) {
      throw fail("the access token was refused, and the server named no OIDC issuer to refresh it");
    }
    const base = issuerUrl(issuer);
    if (base === undefined) throw refuse(`the issuer ${issuer} is not https (nor loopback http)`);
    const trim = (url: unknown) => typeof url === "string" ? url.replace(/\/+$/, "") : url;
    const discovery = `${trim(base.href)}/.well-known/openid-configuration`;
    const document = await issuerJson(discovery, "the discovery document", { signal });
    if (!document.ok || trim(document.body.issuer) !== trim(issuer)) {
      throw refuse(
        `the discovery document ${discovery} (HTTP ${document.status}) is not ${issuer}'s`,
      );
    }
    const endpoint = issuerUrl(document.body.token_endpoint)?.href;
    if (endpoint === undefined) throw refuse(`${discovery} names no https token endpoint`);
    const { ok, status, body: answer } = await issuerJson(endpoint, "the token endpoint", {
      method: "POST",
      signal,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: tokens.refresh_token,
        client_id: clientId,
      }).toString(),
    });
    if (!ok || typeof answer.access_token !== "string") {
      const code = typeof answer.error === "string" ? ` (${answer.error.slice(0, 64)})` : "";
      throw fail(
        `the issuer ${issuer} refused to refresh the tokens: HTTP ${status}${code}`,
        ok ? 0 : status,
      );
    }
    const next: StoredTokens = { ...tokens, access_token: answer.access_token };
    if (typeof answer.token_type === "string") next.token_type = answer.token_type;
    if (typeof answer.refresh_token === "string" && answer.refresh_token !== "") {
      next.refresh_token = answer.refresh_token;
    }
    if (typeof answer.expires_in === "number" && answer.expires_in > 0) {
      const seconds = Math.min(answer.expires_in, MAX_EXPIRES_IN_S);
      next.expiry = new Date(now() + seconds * 1000).toISOString();
    }
    tokens = next; // kept for the process whatever the write-back does
    known = await writeTokens(path, next, remote);
  };

  const limit = options.refreshTimeout ?? REFRESH_TIMEOUT_MS;
  const renewal = new SharedRun(
    limit,
    refresh,
    () => fail(`the issuer ${asked.issuer} did not refresh the tokens within ${limit} ms`),
  );

  return async (signal, options) => {
    if (known === undefined) await reload();
    // An expired token is refreshed up front once the issuer is known; until
    // then it is sent, and the server's refusal names the issuer.
    if (options.forceRefresh || (expired() && options.issuer && options.clientId)) {
      asked = options;
      await renewal.join(signal);
    }
    if (typeof tokens.access_token !== "string" || tokens.access_token === "") {
      throw fail(`no access token in ${path}`);
    }
    return tokens.access_token;
  };
}

/**
 * Writes the tokens as the incus CLI does (JSON, mode 0600), atomically,
 * through a symbolic link; resolves with the text written.
 */
async function writeTokens(path: string, tokens: StoredTokens, remote: string): Promise<string> {
  const real = await Deno.realPath(path).catch(() => path);
  const temporary = `${real}.${crypto.randomUUID()}.tmp`;
  const text = JSON.stringify(tokens);
  try {
    await Deno.writeTextFile(temporary, text, { mode: 0o600, createNew: true });
    await Deno.chmod(temporary, 0o600); // whatever the umask
    await Deno.rename(temporary, real);
    return text;
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    const fix = error instanceof Deno.errors.NotCapable
      ? `run deno with --allow-write=${real.slice(0, real.lastIndexOf("/"))}`
      : `${error instanceof Error ? error.name : "error"}: check its folder's permissions`;
    throw new AuthenticationError(
      `remote "${remote}": the refreshed OIDC tokens are kept for this process but could not ` +
        `be written back to ${real} (${fix}); until they are, the incus CLI and the next ` +
        `process hold a spent refresh token`,
      { remote },
    );
  }
}
