/**
 * A tiny OpenID Connect issuer for tests: the discovery document, a JWKS
 * with one RS256 key made with WebCrypto at start, and a token endpoint
 * with the `refresh_token` grant. `mint()` signs access tokens (JWTs with
 * `iss`, `sub`, `aud`, `exp`, `email`) that Incus verifies against the JWKS.
 *
 * Run inside the daemon's network namespace so that the daemon can fetch
 * the discovery document and the keys from `http://127.0.0.1:<port>`.
 */

/** Claims of a minted token; defaults give a token valid for an hour. */
export interface MintOptions {
  /** Audience (default: the issuer's client id). */
  aud?: string;
  /** Subject (default "incusops-test"). */
  sub?: string;
  /** E-mail claim (default "incusops@example.test"). */
  email?: string;
  /** Seconds from now until it expires; negative: already expired (default 3600). */
  expiresIn?: number;
  /** Signs with a key the JWKS does not hold. */
  foreignKey?: boolean;
  /** For a refresh token: answer this fixed access token instead of a minted one. */
  accessToken?: string;
}

/** A running test issuer. */
export interface TestIssuer extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** The client id tokens are made for. */
  clientId: string;
  /** Signs an access token. */
  mint(options?: MintOptions): Promise<string>;
  /** Registers a refresh token; the token endpoint answers it with a fresh access token. */
  addRefreshToken(refreshToken: string, options?: MintOptions): void;
  /** The grants the token endpoint received (refresh tokens only). */
  readonly refreshes: string[];
  /** Every request received, as `METHOD path`. */
  readonly requests: string[];
  /** How many times the discovery document was fetched. */
  readonly discoveries: number;
  /** Stops serving. */
  close(): Promise<void>;
}

const encoder = new TextEncoder();

function base64url(bytes: Uint8Array | string): string {
  const data = typeof bytes === "string" ? encoder.encode(bytes) : bytes;
  let binary = "";
  for (const byte of data) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function makeKey(): Promise<CryptoKeyPair> {
  return await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  ) as CryptoKeyPair;
}

/** What {@linkcode startIssuer} is started with. */
export interface IssuerOptions {
  /** The client id (default "incusops"). */
  clientId?: string;
  /** The port (default 0: any free port). */
  port?: number;
  /** The address listened on and named in `url` (default 127.0.0.1). */
  hostname?: string;
  /**
   * A hostile issuer: asked first for every request (its path given); a
   * response it gives is sent instead of the issuer's own.
   */
  hostile?: (
    request: Request,
    path: string,
  ) => Response | undefined | Promise<Response | undefined>;
}

/**
 * Starts an issuer on 127.0.0.1 (port 0: any free port).
 *
 * @param options See {@linkcode IssuerOptions}.
 */
export async function startIssuer(options: IssuerOptions = {}): Promise<TestIssuer> {
  const clientId = options.clientId ?? "incusops";
  const key = await makeKey();
  const foreign = await makeKey();
  const kid = crypto.randomUUID();
  const jwk = await crypto.subtle.exportKey("jwk", key.publicKey);
  const jwks = { keys: [{ kty: jwk.kty, n: jwk.n, e: jwk.e, alg: "RS256", use: "sig", kid }] };
  const refreshTokens = new Map<string, MintOptions>();
  const refreshes: string[] = [];
  const requests: string[] = [];
  let discoveries = 0;
  let url = "";

  const mint = async (claims: MintOptions = {}): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    const header = base64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid }));
    const payload = base64url(JSON.stringify({
      iss: url,
      sub: claims.sub ?? "incusops-test",
      aud: claims.aud ?? clientId,
      email: claims.email ?? "incusops@example.test",
      iat: now - 5,
      nbf: now - 5,
      exp: now + (claims.expiresIn ?? 3600),
    }));
    const signer = claims.foreignKey ? foreign.privateKey : key.privateKey;
    const signature = await crypto.subtle.sign(
      "RSASSA-PKCS1-v1_5",
      signer,
      encoder.encode(`${header}.${payload}`),
    );
    return `${header}.${payload}.${base64url(new Uint8Array(signature))}`;
  };

  const json = (body: unknown, status = 200) => Response.json(body, { status });

  const server = Deno.serve(
    { hostname: options.hostname ?? "127.0.0.1", port: options.port ?? 0, onListen: () => {} },
    async (request) => {
      const path = new URL(request.url).pathname;
      requests.push(`${request.method} ${path}`);
      const hostile = await options.hostile?.(request, path);
      if (hostile !== undefined) return hostile;
      if (path === "/.well-known/openid-configuration") {
        discoveries++;
        return json({
          issuer: url,
          jwks_uri: `${url}/jwks`,
          token_endpoint: `${url}/token`,
          authorization_endpoint: `${url}/authorize`,
          device_authorization_endpoint: `${url}/device`,
          response_types_supported: ["code"],
          subject_types_supported: ["public"],
          id_token_signing_alg_values_supported: ["RS256"],
          grant_types_supported: ["refresh_token", "urn:ietf:params:oauth:grant-type:device_code"],
        });
      }
      if (path === "/jwks") return json(jwks);
      if (path === "/token" && request.method === "POST") {
        const form = new URLSearchParams(await request.text());
        const refresh = form.get("refresh_token") ?? "";
        if (form.get("grant_type") !== "refresh_token") {
          return json({ error: "unsupported_grant_type" }, 400);
        }
        refreshes.push(refresh);
        const claims = refreshTokens.get(refresh);
        if (claims === undefined) return json({ error: "invalid_grant" }, 400);
        const next = `refresh-${crypto.randomUUID()}`;
        refreshTokens.delete(refresh);
        refreshTokens.set(next, claims);
        return json({
          access_token: claims.accessToken ?? await mint(claims),
          token_type: "Bearer",
          refresh_token: next,
          expires_in: 3600,
        });
      }
      return json({ error: "not_found" }, 404);
    },
  );
  url = `http://${options.hostname ?? "127.0.0.1"}:${server.addr.port}`;
  return {
    url,
    clientId,
    mint,
    addRefreshToken: (token, claims = {}) => void refreshTokens.set(token, claims),
    refreshes,
    requests,
    get discoveries() {
      return discoveries;
    },
    close: () => server.shutdown(),
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}
