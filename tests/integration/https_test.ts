/**
 * HTTPS remotes against the real daemons: each daemon listens on
 * 127.0.0.1 inside its own network namespace, trusts a client certificate
 * made here, and a client run inside that namespace (nsenter) lists, waits
 * on the events websocket and runs exec over TLS, with the daemon's
 * certificate pinned. A wrong pinned certificate is refused. The incusops
 * CLI does the same on remotes of a config.yml (`--remote`, `<remote>:<id>`).
 */

import { assert, assertEquals } from "@std/assert";
import type { Client } from "../../mod.ts";
import { connectTo, DAEMONS, startSleep } from "./_daemons.ts";
import { clientCertificate, daemonPid, trustClient } from "./_https.ts";
import { spawnCli } from "../_cli.ts";

const ROOT = new URL("../../", import.meta.url);
const PORT = { incus: 8443, lxd: 8444 };

const REMOTE_SCRIPT = `
import { connect } from "${new URL("mod.ts", ROOT).href}";
const [url, certFile, keyFile, serverFile, wrongFile] = Deno.args;
const read = (file) => Deno.readTextFileSync(file);
const result = {};
{
  await using client = connect({ url, cert: read(certFile), key: read(keyFile), serverCert: read(serverFile) });
  result.listed = Array.isArray(await client.operations.list());
  const op = await client.query("/1.0/instances/c1/exec", {
    method: "POST",
    body: { command: ["sleep", "0.3"], "wait-for-websocket": false },
  });
  result.waited = (await client.operations.wait(op.id, { timeout: 30000 })).status;
  const run = await client.exec("c1", ["sh", "-c", "echo over tls; exit 4"]);
  const output = await run.output();
  result.exec = [output.stdoutText, output.exitCode];
}
{
  await using wrong = connect({ url, cert: read(certFile), key: read(keyFile), serverCert: read(wrongFile) });
  try {
    await wrong.operations.list();
    result.wrongPin = "accepted";
  } catch (error) {
    result.wrongPin = error.name + ": " + error.message;
  }
}
console.log(JSON.stringify(result));
`;

for (const daemon of DAEMONS) {
  Deno.test(`${daemon.name}: an HTTPS remote with a client certificate and a pinned server certificate`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "incusops-https-" });
    await using local: Client = connectTo(daemon);
    const address = `127.0.0.1:${PORT[daemon.name]}`;
    try {
      const { cert } = await clientCertificate(dir, "incusops-test");
      await using _trusted = await trustClient(local, cert, "incusops");
      await local.query("/1.0", {
        method: "PATCH",
        body: { config: { "core.https_address": address } },
      });
      const serverCert = daemon.socket.replace(/unix\.socket$/, "server.crt");
      await Deno.writeTextFile(`${dir}/remote.ts`, REMOTE_SCRIPT);
      const pid = await daemonPid(daemon);
      const remote = await spawnCli([
        `https://${address}`,
        `${dir}/client.crt`,
        `${dir}/client.key`,
        serverCert,
        `${dir}/client.crt`,
      ], {
        script: `${dir}/remote.ts`,
        flags: ["-A", "--no-config"],
        inheritEnv: true,
        netns: pid,
      });
      assertEquals(remote.code, 0, remote.stderr);
      const result = JSON.parse(remote.stdout.trim().split("\n").at(-1)!);
      assertEquals(result.listed, true);
      assertEquals(result.waited, "Success");
      assertEquals(result.exec, ["over tls\n", 4]);
      assert(result.wrongPin.startsWith("ConnectionError"), result.wrongPin);
      assert(result.wrongPin.includes(`https://${address}`), result.wrongPin);

      // The incusops CLI on remotes of a config.yml like "incus remote add" writes:
      // client.crt/key, servercerts/<remote>.crt pinned (a wrong pin: exit 4).
      const conf = `${dir}/conf`;
      await Deno.mkdir(`${conf}/servercerts`, { recursive: true });
      await Deno.copyFile(serverCert, `${conf}/servercerts/tls.crt`);
      await Deno.copyFile(`${dir}/client.crt`, `${conf}/servercerts/wrong.crt`);
      await Deno.copyFile(`${dir}/client.crt`, `${conf}/client.crt`);
      await Deno.copyFile(`${dir}/client.key`, `${conf}/client.key`);
      await Deno.writeTextFile(
        `${conf}/config.yml`,
        `default-remote: local\nremotes:\n  tls:\n    addr: https://${address}\n` +
          `    protocol: ${daemon.name}\n    public: false\n  wrong:\n    addr: https://${address}\n`,
      );
      const cli = (...args: string[]) =>
        spawnCli(args, { env: { INCUS_CONF: conf }, inheritEnv: true, netns: pid });
      const sleeping = await startSleep(local, daemon, 1);
      const listed = await cli("list", "--remote", "tls", "--format", "json");
      assertEquals(listed.code, 0, listed.stderr);
      assert(JSON.parse(listed.stdout).some((op: { id: string }) => op.id === sleeping.id));
      const waited = await cli("wait", `tls:${sleeping.id}`, "--timeout", "30s");
      assertEquals(waited.code, 0, waited.stderr);
      assert(waited.stderr.includes(`${sleeping.id.slice(0, 8)}: Success`), waited.stderr);
      const refused = await cli("list", "--remote", "wrong");
      assertEquals(refused.code, 4, refused.stderr);
      assert(refused.stderr.includes(`https://${address}`), refused.stderr);
    } finally {
      await local.query("/1.0", { method: "PATCH", body: { config: { "core.https_address": "" } } })
        .catch(() => {});
      await Deno.remove(dir, { recursive: true });
    }
  });
}
