/**
 * The OIDC tokens the incus CLI stores for a remote with `auth_type: oidc`:
 * `<config dir>/oidctokens/<remote>.json`, the JSON of the Go client's
 * `oidc.Tokens` (`access_token`, `token_type`, `refresh_token`, `expiry`
 * as RFC 3339, `IDToken`, ...). A {@linkcode GetToken} over that file: it
 * gives the stored access token, and refreshes it with the refresh token at
 * the issuer's token endpoint (from its discovery document) when it has
 * expired or the server refused it, writing the file back as the CLI does
 * (mode 0600; here atomically: a temporary file renamed over it). There is
 * no interactive (browser) login here: a remote without usable tokens asks
 * for a login with the incus CLI.
 *
 * @module
 */

import { causeText, IncusOpsError } from "../../core/errors.ts";
import { AuthenticationError } from "../errors.ts";
import type { GetToken, GetTokenOptions } from "./auth.ts";

/** Largest token file read, bytes. */
const MAX_TOKEN_FILE_BYTES = 64 * 1024;

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
}

/**
 * A `getToken` over the incus CLI's stored tokens of `remote`.
 *
 * @param configDir The folder of `config.yml`.
 * @param remote The remote's name.
 * @param options The clock.
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
  const fail = (why: string, status = 0, cause?: string) =>
    new AuthenticationError(`remote "${remote}": ${why}; ${login}`, {
      status,
      remote,
      method: status === 0 ? "" : "POST",
      path: "",
      ...(cause === undefined ? {} : { cause: new Error(cause) }),
    });
  let tokens: StoredTokens | undefined;

  const load = async (): Promise<StoredTokens> => {
    let text: string;
    try {
      const info = await Deno.stat(path);
      if (!info.isFile || info.size > MAX_TOKEN_FILE_BYTES) {
        throw fail(`${path} is not a regular file of at most ${MAX_TOKEN_FILE_BYTES} bytes`);
      }
      text = await Deno.readTextFile(path);
    } catch (error) {
      if (error instanceof IncusOpsError) throw error;
      if (error instanceof Deno.errors.NotFound) throw fail(`no OIDC tokens in ${path}`);
      if (error instanceof Deno.errors.NotCapable) {
        throw fail(`Deno may not read ${path}: run deno with --allow-read=${path}`);
      }
      throw fail(`cannot read ${path} (${error instanceof Error ? error.name : "error"})`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw fail(`${path} is not JSON`); // its text is a secret: never shown
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw fail(`${path} holds no token object`);
    }
    return parsed as StoredTokens;
  };

  const expired = (stored: StoredTokens) => {
    if (typeof stored.expiry !== "string" || stored.expiry.startsWith("0001-")) return false;
    const at = Date.parse(stored.expiry);
    return Number.isFinite(at) && at - EXPIRY_MARGIN_MS <= now();
  };

  const refresh = async (
    stored: StoredTokens,
    signal: AbortSignal,
    { issuer, clientId }: GetTokenOptions,
  ): Promise<StoredTokens> => {
    if (typeof stored.refresh_token !== "string" || stored.refresh_token === "") {
      throw fail("the access token was refused or has expired, and there is no refresh token");
    }
    if (issuer === undefined || clientId === undefined) {
      throw fail("the access token was refused, and the server named no OIDC issuer to refresh it");
    }
    const endpoint = await tokenEndpoint(issuer, signal, fail);
    let response: Response;
    try {
      response = await fetch(endpoint, {
        method: "POST",
        signal,
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "refresh_token",
          refresh_token: stored.refresh_token,
          client_id: clientId,
        }).toString(),
      });
    } catch (error) {
      if (signal.aborted) throw error;
      throw fail(`cannot reach the token endpoint ${endpoint}`, 0, causeText(error));
    }
    const answer = await response.json().catch(() => undefined) as
      | Record<string, unknown>
      | undefined;
    if (!response.ok || typeof answer?.access_token !== "string") {
      const code = typeof answer?.error === "string" ? ` (${answer.error.slice(0, 64)})` : "";
      throw fail(
        `the issuer ${issuer} refused to refresh the tokens: HTTP ${response.status}${code}`,
        response.ok ? 0 : response.status,
      );
    }
    const next: StoredTokens = { ...stored, access_token: answer.access_token };
    if (typeof answer.token_type === "string") next.token_type = answer.token_type;
    if (typeof answer.refresh_token === "string" && answer.refresh_token !== "") {
      next.refresh_token = answer.refresh_token;
    }
    if (typeof answer.expires_in === "number" && answer.expires_in > 0) {
      next.expiry = new Date(now() + answer.expires_in * 1000).toISOString();
    }
    await writeTokens(path, next);
    return next;
  };

  return async (signal, options) => {
    tokens ??= await load();
    const usable = typeof tokens.access_token === "string" && tokens.access_token !== "";
    const refreshable = options.issuer !== undefined && options.clientId !== undefined;
    // An expired token is refreshed up front once the issuer is known; until
    // then it is sent, and the server's refusal names the issuer.
    if (!usable) throw fail(`no access token in ${path}`);
    if (options.forceRefresh || (expired(tokens) && refreshable)) {
      tokens = await refresh(tokens, signal, options);
    }
    return tokens.access_token!;
  };
}

/** The issuer's token endpoint, from its discovery document. */
async function tokenEndpoint(
  issuer: string,
  signal: AbortSignal,
  fail: (why: string, status?: number, cause?: string) => AuthenticationError,
): Promise<string> {
  const url = `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
  let response: Response;
  try {
    response = await fetch(url, { signal });
  } catch (error) {
    if (signal.aborted) throw error;
    throw fail(`cannot reach the issuer's discovery document ${url}`, 0, causeText(error));
  }
  const document = await response.json().catch(() => undefined) as
    | Record<string, unknown>
    | undefined;
  const endpoint = document?.token_endpoint;
  if (!response.ok || typeof endpoint !== "string" || URL.parse(endpoint) === null) {
    throw fail(`the discovery document ${url} names no token endpoint (HTTP ${response.status})`);
  }
  return endpoint;
}

/** Writes the tokens as the incus CLI does (JSON, mode 0600), atomically. */
async function writeTokens(path: string, tokens: StoredTokens): Promise<void> {
  const temporary = `${path}.${crypto.randomUUID()}.tmp`;
  try {
    await Deno.writeTextFile(temporary, JSON.stringify(tokens), { mode: 0o600, createNew: true });
    await Deno.chmod(temporary, 0o600); // whatever the umask
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw new AuthenticationError(
      `cannot write the refreshed OIDC tokens to ${path}: ${
        error instanceof Error ? error.name : "error"
      }`,
      { remote: path },
    );
  }
}
