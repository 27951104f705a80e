/**
 * Bearer tokens on the fake daemon (its `bearerToken` check): the header on
 * requests and websockets, one forced refresh and retry with getToken, the
 * AuthenticationError of a refused token, and the token absent from every
 * error and inspection. The incus CLI's stored OIDC tokens of an
 * `auth_type: oidc` remote, refreshed at a test issuer and written back.
 */

import { assert, assertEquals, assertFalse, assertRejects } from "@std/assert";
import {
  AuthenticationError,
  connect,
  connectRemote,
  type GetToken,
  InvalidArgumentError,
} from "../../../mod.ts";
import { FakeDaemon } from "../../../src/testing/mod.ts";
import { describeFailure } from "../../../src/cli/exit_codes.ts";
import { startIssuer } from "../../_oidc_issuer.ts";

const TOKEN = "secret-token-4f1c9a";

/** Asserts that neither the error's text, its causes nor its inspection hold `secret`. */
function assertNoSecret(value: unknown, secret: string): void {
  const texts = [Deno.inspect(value, { depth: 8, showHidden: true })];
  for (let e: unknown = value; e instanceof Error; e = e.cause) {
    texts.push(e.message, String(e.stack));
  }
  for (const text of texts) assertFalse(text.includes(secret), `the token leaked: ${text}`);
}

Deno.test("token: sent on requests and the events websocket; the wrong one is an AuthenticationError", async () => {
  await using daemon = await FakeDaemon.start({ bearerToken: TOKEN });
  {
    await using client = connect({ socket: daemon.path, token: TOKEN });
    assertEquals(await client.operations.list(), []);
    const controller = new AbortController();
    const events = client.events({ types: ["lifecycle"], signal: controller.signal });
    await events.opened;
    controller.abort();
    for await (const _ of events) break;
    assertNoSecret(client, TOKEN);
  }
  await using wrong = connect({ socket: daemon.path, token: "wrong-token-77" });
  const error = await assertRejects(() => wrong.operations.list(), AuthenticationError);
  assertEquals(error.status, 401);
  assertEquals(error.issuer, "https://issuer.fake.invalid");
  assertEquals(error.remote, daemon.path);
  assert(error.message.includes("refused the bearer token"), error.message);
  assertNoSecret(error, "wrong-token-77");
  assertEquals(describeFailure(error).code, 4);
  assertFalse(describeFailure(error).message.includes("\n"));
  const ws = await assertRejects(
    () => wrong.events({ types: ["lifecycle"] }).opened,
    AuthenticationError,
  );
  assertNoSecret(ws, "wrong-token-77");
});

Deno.test("getToken: asked before each attempt; a refusal forces one refresh and one retry", async () => {
  await using daemon = await FakeDaemon.start({ bearerToken: "old" });
  const calls: { forceRefresh: boolean; issuer?: string }[] = [];
  let current = "old";
  let next = "old";
  const getToken: GetToken = (_signal, options) => {
    calls.push({ forceRefresh: options.forceRefresh, issuer: options.issuer });
    if (options.forceRefresh) current = next;
    return current;
  };
  await using client = connect({ socket: daemon.path, getToken });
  await client.operations.list();
  // One call per request (the first list also asks GET /1.0 whether this is a cluster).
  assert(calls.length >= 1);
  assert(calls.every((call) => !call.forceRefresh && call.issuer === undefined));
  // Revoked: the next call is refused once, refreshed, and retried.
  daemon.bearerToken = "new";
  next = "new";
  calls.length = 0;
  assertEquals(await client.operations.list(), []);
  assertEquals(calls.map((call) => call.forceRefresh), [false, true]);
  assertEquals(calls[1].issuer, "https://issuer.fake.invalid");
  // Refused again after the refresh: an AuthenticationError, after one retry only.
  daemon.bearerToken = "newer";
  calls.length = 0;
  const error = await assertRejects(() => client.operations.list(), AuthenticationError);
  assertEquals(calls.map((call) => call.forceRefresh), [false, true]);
  assertNoSecret(error, "new");
});

Deno.test("getToken: a failure or a token with bad characters is refused, never shown", async () => {
  await using daemon = await FakeDaemon.start({ bearerToken: TOKEN });
  await using failing = connect({
    socket: daemon.path,
    getToken: () => Promise.reject(new Error("vault unreachable")),
  });
  const error = await assertRejects(() => failing.operations.list(), AuthenticationError);
  assert(error.message.includes("vault unreachable"), error.message);
  await using bad = connect({ socket: daemon.path, getToken: () => "line\nbreak-secret" });
  const invalid = await assertRejects(() => bad.operations.list(), InvalidArgumentError);
  assertNoSecret(invalid, "break-secret");
  const given = (() => {
    try {
      connect({ socket: daemon.path, token: "a b-secret" });
    } catch (error) {
      return error;
    }
  })();
  assert(given instanceof InvalidArgumentError);
  assertNoSecret(given, "b-secret");
  assertEquals(daemon.requests.length, 0);
});

Deno.test("auth_type: oidc remote: an expired access token is refreshed at the issuer and written back", async () => {
  await using issuer = await startIssuer();
  await using daemon = await FakeDaemon.start();
  daemon.bearerIssuer = issuer.url;
  daemon.bearerToken = "expired-access";
  issuer.addRefreshToken("refresh-1", { accessToken: "fresh-access" });
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/oidctokens`);
    await Deno.writeTextFile(
      `${dir}/config.yml`,
      `remotes:\n  sso:\n    addr: unix://${daemon.path}\n    auth_type: oidc\n`,
    );
    const file = `${dir}/oidctokens/sso.json`;
    await Deno.writeTextFile(
      file,
      JSON.stringify({
        access_token: "expired-access",
        token_type: "Bearer",
        refresh_token: "refresh-1",
        expiry: "2020-01-01T00:00:00Z",
        IDToken: "kept-as-is",
      }),
    );
    Deno.env.set("INCUS_CONF", dir);
    // The fake refuses the stored (expired) token, naming the issuer: the
    // tokens are refreshed there, written back, and the call retried.
    daemon.bearerToken = "fresh-access";
    await using client = await connectRemote("sso");
    assertEquals(await client.operations.list(), []);
    assertEquals(issuer.refreshes, ["refresh-1"]);
    const stored = JSON.parse(await Deno.readTextFile(file));
    assertEquals(stored.access_token, "fresh-access");
    assert(stored.refresh_token.startsWith("refresh-"));
    assertEquals(stored.IDToken, "kept-as-is");
    assert(Date.parse(stored.expiry) > Date.now());
    assertEquals((await Deno.stat(file)).mode! & 0o777, 0o600);
    assertEquals([...Deno.readDirSync(`${dir}/oidctokens`)].length, 1, "no temporary file left");
    assertNoSecret(client, stored.refresh_token);
    // The issuer refuses a spent refresh token: log in again with the incus CLI.
    daemon.bearerToken = "revoked";
    const error = await assertRejects(() => client.operations.list(), AuthenticationError);
    assert(error.message.includes("incus info sso:"), error.message);
    assertEquals(error.remote, "sso");
    assertNoSecret(error, "fresh-access");
  } finally {
    Deno.env.delete("INCUS_CONF");
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("getToken: a request refused with a token older than the last refresh's retries with that one, no second refresh", async () => {
  await using daemon = await FakeDaemon.start({ bearerToken: "new" });
  const calls: boolean[] = [];
  // A source whose plain answer lags behind (a straggler sent before the refresh landed).
  const getToken: GetToken = (_signal, { forceRefresh }) => {
    calls.push(forceRefresh);
    return forceRefresh ? "new" : "old";
  };
  await using client = connect({ socket: daemon.path, getToken });
  await client.query("/1.0");
  await client.query("/1.0");
  assertEquals(calls, [false, true, false]);
});
