/**
 * Fault matrix, tokens: a `getToken` that never settles, a hostile OIDC
 * issuer on loopback (silent, endless, huge, redirecting, cleartext, not
 * itself), an issuer that rotates refresh tokens under concurrent calls, a
 * token file another process refreshed, behind a symbolic link or not
 * writable, and a daemon that echoes the bearer token in its errors.
 */

import { assert, assertEquals, assertFalse, assertInstanceOf, assertRejects } from "@std/assert";
import {
  AuthenticationError,
  connect,
  ConnectionError,
  type ConnectOptions,
  IncusOpsError,
} from "../../mod.ts";
import { FakeDaemon } from "../../src/testing/mod.ts";
import { oidcTokenSource } from "../../src/incus/transport/oidc_tokens.ts";
import { type IssuerOptions, startIssuer, type TestIssuer } from "../_oidc_issuer.ts";
import { outcome, within } from "./_bounded.ts";
import { certificates, httpsServer } from "./_certs.ts";

/** Generous bound against hangs; decides no assertion about speed. */
const HANG_MS = 10_000;

/** Answers once the client gives up (never otherwise): a silent peer the server can still shut down. */
function silent(request: Request): Promise<Response> {
  return new Promise((resolve) => {
    request.signal.addEventListener("abort", () => resolve(new Response(null)), { once: true });
  });
}

/** A body that never ends: `chunk` bytes again and again, or one chunk then silence. */
function endless(chunk: number, again = true): Response {
  let sent = false;
  return new Response(
    new ReadableStream<Uint8Array>({
      pull(controller) {
        if (again || !sent) controller.enqueue(new Uint8Array(chunk).fill(0x7b));
        sent = true;
        return again ? undefined : new Promise(() => {});
      },
    }),
    { headers: { "content-type": "application/json" } },
  );
}

/** A fake daemon demanding `access`, naming `issuer`; an oidc token file; a client on both. */
async function oidcSetup(
  issuer: TestIssuer | string,
  stored: Record<string, unknown>,
  source: { now?: () => number; refreshTimeout?: number } = {},
  client: ConnectOptions = {},
) {
  const daemon = await FakeDaemon.start({ bearerToken: "access-2" });
  daemon.bearerIssuer = typeof issuer === "string" ? issuer : issuer.url;
  const dir = await Deno.makeTempDir({ prefix: "incusops-tokens-" });
  await Deno.mkdir(`${dir}/oidctokens`);
  const file = `${dir}/oidctokens/sso.json`;
  await Deno.writeTextFile(
    file,
    JSON.stringify({ access_token: "access-1", refresh_token: "refresh-1", ...stored }),
  );
  const getToken = oidcTokenSource(dir, "sso", source);
  const connected = connect({ socket: daemon.path, getToken, ...client });
  return {
    daemon,
    dir,
    file,
    client: connected,
    async [Symbol.asyncDispose]() {
      await connected.close();
      await daemon.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("8.73 tokens: a getToken that never settles loses to requestTimeout, a wait's timeout and close()", async () => {
  await using daemon = await FakeDaemon.start();
  const op = daemon.createOperation();
  const client = connect({
    socket: daemon.path,
    getToken: () => new Promise<string>(() => {}),
    requestTimeout: 200,
  });
  const query = outcome(client.query("/1.0"));
  const wait = outcome(client.operations.wait(op.id, { timeout: 200 }));
  const pending = outcome(client.query("/1.0", { timeout: 60_000 }));
  const [queried, waited] = await within(HANG_MS, Promise.all([query, wait]));
  assertInstanceOf(queried, ConnectionError);
  assertInstanceOf(waited, IncusOpsError);
  await within(HANG_MS, client.close());
  assertInstanceOf(await within(HANG_MS, pending), ConnectionError);
});

Deno.test("8.74 tokens: a silent OIDC issuer: events() and close() settle (the websocket's token fetch has a deadline)", async () => {
  await using issuer = await startIssuer({ hostile: (request) => silent(request) });
  await using t = await oidcSetup(issuer, {}, { refreshTimeout: 300 }, { requestTimeout: 200 });
  // An HTTP call learns the issuer (a websocket's refusal names none), and times out.
  assertInstanceOf(await within(HANG_MS, outcome(t.client.query("/1.0"))), IncusOpsError);
  const events = outcome(t.client.events({ types: ["lifecycle"] }).opened);
  assertInstanceOf(await within(HANG_MS, events), IncusOpsError);
  const again = outcome(t.client.events({ types: ["lifecycle"] }).opened);
  await within(HANG_MS, t.client.close());
  assertInstanceOf(await within(HANG_MS, again), IncusOpsError);
});

Deno.test("8.75 tokens: 50 concurrent calls that find the token expired share one refresh (an issuer that rotates)", async () => {
  await using issuer = await startIssuer();
  issuer.addRefreshToken("refresh-1", { accessToken: "access-2" });
  let now = Date.now();
  await using t = await oidcSetup(issuer, {}, { now: () => now });
  await t.client.query("/1.0"); // refused once: the issuer is named, refreshed, retried
  assertEquals(issuer.refreshes, ["refresh-1"]);
  now += 2 * 3600_000; // the fresh token has expired
  const results = await Promise.all(
    Array.from({ length: 50 }, () => outcome(t.client.query("/1.0"))),
  );
  assertEquals(results.filter((error) => error !== undefined), []);
  assertEquals(issuer.refreshes.length, 2);
});

Deno.test("8.76 tokens: one caller's abort does not fail the others sharing a forced refresh", async () => {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => release = resolve);
  let asked = 0;
  await using issuer = await startIssuer({
    hostile: async (_request, path) => {
      if (path !== "/token") return undefined;
      asked++;
      await gate;
      return undefined;
    },
  });
  issuer.addRefreshToken("refresh-1", { accessToken: "access-2" });
  await using t = await oidcSetup(issuer, {});
  const controller = new AbortController();
  const first = outcome(t.client.query("/1.0", { signal: controller.signal }));
  while (asked === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  const others = Array.from({ length: 5 }, () => outcome(t.client.query("/1.0")));
  controller.abort(new Error("this caller gave up"));
  assertEquals((await first as Error).message, "this caller gave up");
  release();
  assertEquals(await within(HANG_MS, Promise.all(others)), [
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
  ]);
  assertEquals(issuer.refreshes, ["refresh-1"]);
});

Deno.test("8.77 tokens: the token file is read again before refreshing (another process refreshed)", async () => {
  await using issuer = await startIssuer();
  await using t = await oidcSetup(issuer, {});
  t.daemon.bearerToken = "access-1";
  await t.client.query("/1.0");
  // Another process refreshed: a new access token and a rotated refresh token in the file.
  await Deno.writeTextFile(
    t.file,
    JSON.stringify({ access_token: "access-2", refresh_token: "refresh-2" }),
  );
  t.daemon.bearerToken = "access-2";
  await t.client.query("/1.0");
  assertEquals(issuer.refreshes, []);
});

Deno.test("8.78 tokens: the write-back goes through a symbolic link; absurd expiries are clamped", async () => {
  await using issuer = await startIssuer();
  issuer.addRefreshToken("refresh-1", { accessToken: "access-2" });
  await using t = await oidcSetup(issuer, {});
  const real = `${t.dir}/real.json`;
  await Deno.rename(t.file, real);
  await Deno.symlink(real, t.file);
  await t.client.query("/1.0");
  assert((await Deno.lstat(t.file)).isSymlink, "the link was replaced");
  assertEquals(JSON.parse(await Deno.readTextFile(real)).access_token, "access-2");
  // An issuer announcing a lifetime of 1e20 s: clamped, not a RangeError.
  await using huge = await startIssuer({
    hostile: (_request, path) =>
      path === "/token"
        ? Response.json({ access_token: "access-3", refresh_token: "r", expires_in: 1e20 })
        : undefined,
  });
  await using u = await oidcSetup(huge, {});
  u.daemon.bearerToken = "access-3";
  await u.client.query("/1.0");
  const expiry = Date.parse(JSON.parse(await Deno.readTextFile(u.file)).expiry);
  assert(expiry > Date.now() && expiry < Date.now() + 400 * 86_400_000, String(expiry));
});

/** The write-back test's folders: the daemon's (writable there) and the tokens' (not). */
const unwritable = Deno.makeTempDirSync({ prefix: "incusops-tokens-" });
const daemonDir = `${unwritable}/daemon`;

Deno.test({
  name:
    "8.79 tokens: a failed write-back keeps the refreshed tokens for the process and names --allow-write",
  permissions: { read: true, env: true, net: true, write: [daemonDir] },
  async fn() {
    await using issuer = await startIssuer();
    issuer.addRefreshToken("refresh-1", { accessToken: "access-2" });
    await using daemon = await FakeDaemon.start({
      bearerToken: "access-2",
      path: `${daemonDir}/unix.socket`,
    });
    daemon.bearerIssuer = issuer.url;
    const dir = `${unwritable}/config`;
    await using client = connect({
      socket: daemon.path,
      getToken: oidcTokenSource(dir, "sso"),
    });
    const error = await assertRejects(() => client.query("/1.0"), AuthenticationError);
    assert(error.message.includes(`--allow-write=${dir}/oidctokens`), error.message);
    // The rotated refresh token was not lost: the next calls use the kept tokens.
    await client.query("/1.0");
    await client.query("/1.0");
    assertEquals(issuer.refreshes, ["refresh-1"]);
  },
});

// Made outside the permission-restricted test above (its folder is only readable there).
Deno.mkdirSync(`${unwritable}/config/oidctokens`, { recursive: true });
Deno.mkdirSync(daemonDir);
Deno.writeTextFileSync(
  `${unwritable}/config/oidctokens/sso.json`,
  JSON.stringify({ access_token: "access-1", refresh_token: "refresh-1" }),
);
addEventListener("unload", () => Deno.removeSync(unwritable, { recursive: true }));

/** The error a refresh at a hostile issuer ends with, and the issuer (its log). */
async function refreshAt(
  hostile: IssuerOptions["hostile"],
  options: IssuerOptions = {},
): Promise<{ error: AuthenticationError; issuer: TestIssuer }> {
  const issuer = await startIssuer({ ...options, hostile });
  issuer.addRefreshToken("refresh-1", { accessToken: "access-2" });
  try {
    await using t = await oidcSetup(issuer, {}, { refreshTimeout: 300 });
    const query = () => t.client.query("/1.0");
    return { error: await within(HANG_MS, assertRejects(query, AuthenticationError)), issuer };
  } finally {
    await issuer.close();
  }
}

Deno.test("8.80 tokens: the refresh token goes to no cleartext, self-contradicting or redirecting issuer", async () => {
  // Plain http on an address that is not loopback.
  const cleartext = await refreshAt(undefined, { hostname: "0.0.0.0" });
  assert(cleartext.error.message.includes("not https"), cleartext.error.message);
  assertEquals(cleartext.issuer.requests, []);
  // A discovery document naming another issuer.
  const other = await refreshAt((request, path) =>
    path === "/.well-known/openid-configuration"
      ? Response.json({
        issuer: "https://other.example",
        token_endpoint: `${new URL(request.url).origin}/token`,
      })
      : undefined
  );
  assert(other.error.message.includes("(HTTP 200) is not http"), other.error.message);
  assertEquals(other.issuer.refreshes, []);
  // A token endpoint redirecting (307 keeps the body) to a third origin.
  const received: string[] = [];
  await using third = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      received.push(await request.text());
      return Response.json({ access_token: "stolen" });
    },
  );
  const redirected = await refreshAt((_request, path) =>
    path === "/token"
      ? new Response(null, {
        status: 307,
        headers: { location: `http://127.0.0.1:${third.addr.port}/` },
      })
      : undefined
  );
  assert(redirected.error.message.includes("redirects"), redirected.error.message);
  assertEquals(received, []);
});

Deno.test("8.81 tokens: every read from the issuer is bounded in bytes and time (huge, endless, silent)", async () => {
  const discovery = "/.well-known/openid-configuration";
  const cases: [string, IssuerOptions["hostile"], string][] = [
    [
      "huge",
      (_r, path) => path === discovery ? new Response(new Uint8Array(8 << 20)) : undefined,
      "byte limit",
    ],
    ["endless", (_r, path) => path === discovery ? endless(64 * 1024) : undefined, "byte limit"],
    [
      "endless token",
      (_r, path) => path === "/token" ? endless(64 * 1024) : undefined,
      "byte limit",
    ],
    [
      "dripping",
      (_r, path) => path === discovery ? endless(16, false) : undefined,
      "within 300 ms",
    ],
    [
      "silent",
      (request, path) => path === discovery ? silent(request) : undefined,
      "within 300 ms",
    ],
    [
      "silent token",
      (request, path) => path === "/token" ? silent(request) : undefined,
      "within 300 ms",
    ],
  ];
  for (const [name, hostile, said] of cases) {
    const { error } = await refreshAt(hostile);
    assert(error.message.includes(said), `${name}: ${error.message}`);
  }
});

Deno.test("8.82 tokens: a daemon echoing the bearer token in any error never puts it into an error", async () => {
  const token = `eyJ${"x".repeat(200)}.secret-part-${crypto.randomUUID()}`;
  const answers = [
    (auth: string) =>
      Response.json({ type: "error", error: `forbidden: ${auth}`, error_code: 403 }, {
        status: 403,
      }),
    (auth: string) => new Response(`bad gateway for ${auth}`, { status: 502 }),
    (auth: string) => new Response(`${auth}`, { status: 200 }),
  ];
  for (const answer of answers) {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/unix.socket`;
    const server = Deno.serve(
      { path, onListen: () => {} },
      (request) => answer(request.headers.get("authorization") ?? ""),
    );
    try {
      for (const auth of [{ token }, { getToken: () => token }]) {
        await using client = connect({ socket: path, ...auth });
        const error = await assertRejects(() => client.query("/1.0"), IncusOpsError);
        for (let e: unknown = error; e instanceof Error; e = e.cause) {
          for (const text of [e.message, String(e.stack), Deno.inspect(e, { depth: 8 })]) {
            assertFalse(text.includes(token.slice(0, 20)), `the token leaked: ${text}`);
          }
        }
      }
    } finally {
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  }
});

Deno.test("8.83 tokens: the failover probe follows no redirect (to cleartext), so no member reached that way gets the token", async () => {
  const dir = await Deno.makeTempDir({ prefix: "incusops-tokens-" });
  try {
    const certs = await certificates(dir);
    const cleartext: string[] = [];
    await using other = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (r) => {
      cleartext.push(`${r.method} ${new URL(r.url).pathname}`);
      return Response.json({ type: "sync", status_code: 200, metadata: [] });
    });
    const tokensSeen: string[] = [];
    await using member = httpsServer(certs.good, (request) => {
      const path = new URL(request.url).pathname;
      if (path === "/1.0/cluster/members") {
        return Response.redirect(`http://127.0.0.1:${other.addr.port}${path}`, 307);
      }
      tokensSeen.push(request.headers.get("authorization") ?? "");
      return Response.json({ type: "sync", status: "Success", status_code: 200, metadata: {} });
    });
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const dead = `https://127.0.0.1:${listener.addr.port}`;
    listener.close();
    await using client = connect({ url: [dead, member.url], ca: certs.ca, token: "t0k3n-1" });
    assertInstanceOf(await outcome(client.query("/1.0")), ConnectionError);
    assertEquals([cleartext, tokensSeen], [[], []]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
