/**
 * Run by oidc_test.ts inside the Incus daemon's network namespace (nsenter):
 * starts the test OIDC issuer there, points the daemon at it
 * (`oidc.issuer`, `oidc.client.id`, `core.https_address`), and exercises
 * bearer tokens over HTTPS: trusted list/wait/events/exec with a valid
 * token, refused tokens, and an `auth_type: oidc` remote whose expired
 * access token is refreshed and written back; the incusops CLI on it.
 * Prints one JSON line of findings (never a token: the parent checks).
 *
 * Arguments: the Incus socket, the HTTPS port, a scratch folder.
 */

import { AuthenticationError, connect, connectRemote } from "../../mod.ts";
import { startIssuer } from "../_oidc_issuer.ts";
import { spawnCli } from "../_cli.ts";
import { clientCertificate, trustClient } from "./_https.ts";

const [socket, port, dir] = Deno.args;
const address = `127.0.0.1:${port}`;
const url = `https://${address}`;
const serverCert = await Deno.readTextFile(socket.replace(/unix\.socket$/, "server.crt"));
const result: Record<string, unknown> = {};
const outputs: string[] = [];
const tokens: string[] = [];

await using issuer = await startIssuer({ clientId: "incusops-it" });
await using local = connect({ socket });
const config = (values: Record<string, string>) =>
  local.query("/1.0", { method: "PATCH", body: { config: values } });
await config({
  "core.https_address": address,
  "oidc.issuer": issuer.url,
  "oidc.client.id": issuer.clientId,
  "oidc.audience": issuer.clientId,
});
try {
  const valid = await issuer.mint();
  tokens.push(valid);
  {
    await using client = connect({ url, serverCert, token: valid });
    const server = await client.query<{ auth: string; auth_user_name: string }>("/1.0");
    result.auth = [server.auth, server.auth_user_name];
    result.listed = Array.isArray(await client.operations.list());
    const events = client.events({ types: ["operation"] });
    await events.opened;
    const op = await client.query<{ id: string }>("/1.0/instances/c1/exec", {
      method: "POST",
      body: { command: ["sleep", "0.2"], "wait-for-websocket": false },
    });
    result.waited = (await client.operations.wait(op.id, { timeout: 30_000 })).status;
    for await (const event of events) {
      if ((event.metadata as { id?: string }).id === op.id) break;
    }
    result.event = true;
    await events.close();
    const run = await client.exec("c1", ["sh", "-c", "echo with a token; exit 3"]);
    const output = await run.output();
    result.exec = [output.stdoutText, output.exitCode];
    // /wait long-polls (no events connection) carry the token too.
    await using polling = connect({ url, serverCert, token: valid, events: false });
    const polled = await polling.query<{ id: string }>("/1.0/instances/c1/exec", {
      method: "POST",
      body: { command: ["sleep", "0.2"], "wait-for-websocket": false },
    });
    result.longPoll = (await polling.operations.wait(polled.id, { timeout: 30_000 })).status;
    outputs.push(Deno.inspect(client, { depth: 8, showHidden: true }));
  }
  // A client certificate and a token together.
  {
    const { cert, key } = await clientCertificate(dir, "incusops-oidc");
    await using _trusted = await trustClient(local, cert, "incusops-oidc");
    await using both = connect({ url, serverCert, cert, key, token: valid });
    const server = await both.query<{ auth: string; auth_user_method: string }>("/1.0");
    result.certAndToken = [server.auth, server.auth_user_method];
  }
  // Without a token the server answers "untrusted".
  {
    await using anonymous = connect({ url, serverCert });
    result.anonymous = (await anonymous.query<{ auth: string }>("/1.0")).auth;
  }
  // Refused tokens: expired, another audience, a foreign key, garbage.
  const refused: Record<string, unknown> = {};
  for (
    const [kind, token] of [
      ["expired", await issuer.mint({ expiresIn: -120 })],
      ["audience", await issuer.mint({ aud: "someone-else" })],
      ["foreign", await issuer.mint({ foreignKey: true })],
      ["garbage", "garbage.token.value"],
    ] as const
  ) {
    tokens.push(token);
    await using client = connect({ url, serverCert, token });
    try {
      await client.operations.list();
      refused[kind] = "accepted";
    } catch (error) {
      outputs.push(String(error), String((error as Error).stack), Deno.inspect(error));
      refused[kind] = error instanceof AuthenticationError
        ? [error.name, error.status, error.issuer === issuer.url, error.message]
        : String(error);
    }
    // The events websocket refuses it too.
    try {
      await client.events({ types: ["operation"] }).opened;
      refused[`${kind}-websocket`] = "accepted";
    } catch (error) {
      outputs.push(String(error), Deno.inspect(error));
      refused[`${kind}-websocket`] = (error as Error).name;
    }
  }
  result.refused = refused;
  // getToken: the first token is refused, the forced refresh is accepted.
  {
    const asked: boolean[] = [];
    await using client = connect({
      url,
      serverCert,
      getToken: async (_signal, { forceRefresh }) => {
        asked.push(forceRefresh);
        return forceRefresh ? valid : await issuer.mint({ expiresIn: -120 });
      },
    });
    result.refreshedOnce = [Array.isArray(await client.operations.list()), asked];
  }
  // An auth_type: oidc remote with an expired access token and a valid refresh token.
  const conf = `${dir}/conf`;
  await Deno.mkdir(`${conf}/oidctokens`, { recursive: true });
  await Deno.mkdir(`${conf}/servercerts`, { recursive: true });
  await Deno.writeTextFile(`${conf}/servercerts/sso.crt`, serverCert);
  await Deno.writeTextFile(`${conf}/servercerts/stale.crt`, serverCert);
  await Deno.writeTextFile(
    `${conf}/config.yml`,
    `default-remote: sso\nremotes:\n` +
      `  sso:\n    addr: ${url}\n    auth_type: oidc\n    protocol: incus\n` +
      `  stale:\n    addr: ${url}\n    auth_type: oidc\n    protocol: incus\n`,
  );
  const expired = await issuer.mint({ expiresIn: -120 });
  tokens.push(expired, "refresh-sso", "refresh-stale");
  issuer.addRefreshToken("refresh-sso");
  const stored = (access: string, refresh: string) =>
    JSON.stringify({
      access_token: access,
      token_type: "Bearer",
      refresh_token: refresh,
      expiry: new Date(Date.now() - 60_000).toISOString(),
      IDTokenClaims: null,
      IDToken: "",
    });
  await Deno.writeTextFile(`${conf}/oidctokens/sso.json`, stored(expired, "refresh-sso"), {
    mode: 0o644,
  });
  // The issuer does not know this refresh token: a login with the incus CLI is needed.
  await Deno.writeTextFile(`${conf}/oidctokens/stale.json`, stored(expired, "refresh-stale"));
  Deno.env.set("INCUS_CONF", conf);
  {
    await using client = await connectRemote("sso");
    result.remoteListed = Array.isArray(await client.operations.list());
  }
  const written = JSON.parse(await Deno.readTextFile(`${conf}/oidctokens/sso.json`));
  tokens.push(written.access_token, written.refresh_token);
  const info = await Deno.stat(`${conf}/oidctokens/sso.json`);
  result.writtenBack = {
    refreshes: [...issuer.refreshes],
    newAccess: written.access_token !== expired,
    newRefresh: written.refresh_token !== "refresh-sso",
    future: Date.parse(written.expiry) > Date.now(),
    mode: (info.mode! & 0o777).toString(8),
    files: [...Deno.readDirSync(`${conf}/oidctokens`)].map((entry) => entry.name).sort(),
  };
  // The incus CLI itself reads the tokens written back (the same format).
  const incus = await new Deno.Command("incus", {
    args: ["query", "sso:/1.0"],
    env: { INCUS_CONF: conf },
    stdin: "null",
  }).output().catch((error) => ({
    code: -1,
    stdout: new Uint8Array(),
    stderr: new TextEncoder().encode(String(error)),
  }));
  const incusOut = new TextDecoder().decode(incus.stdout);
  outputs.push(new TextDecoder().decode(incus.stderr));
  result.incusCli = [
    incus.code,
    incusOut.includes('"auth": "trusted"'),
    new TextDecoder().decode(incus.stderr).slice(0, 300),
  ];
  // The incusops CLI on those remotes.
  const cli = async (...args: string[]) => {
    const output = await spawnCli(args, { env: { INCUS_CONF: conf }, inheritEnv: true });
    outputs.push(output.stdout, output.stderr);
    return output;
  };
  const listed = await cli("list", "--remote", "sso", "--format", "json");
  result.cliList = [listed.code, Array.isArray(JSON.parse(listed.stdout || "null"))];
  const stale = await cli("list", "--remote", "stale");
  result.cliStale = [stale.code, stale.stderr.trim().split("\n")];
  Deno.env.delete("INCUS_CONF");
} finally {
  await config({
    "core.https_address": "",
    "oidc.issuer": "",
    "oidc.client.id": "",
    "oidc.audience": "",
  });
}
Deno.stdout.writeSync(new TextEncoder().encode(`${JSON.stringify({ result, outputs, tokens })}\n`));
