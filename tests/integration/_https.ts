/**
 * HTTPS on the real daemons, shared by https_test.ts and oidc_test.ts (and
 * the scenario it runs): the daemon's process (whose network namespace
 * holds its HTTPS address), a fresh client certificate, and trusting one.
 */

import type { Client } from "../../mod.ts";
import type { RealDaemon } from "./_daemons.ts";

/** The daemon's process id (the child of the recorded `unshare` wrapper). */
export async function daemonPid(daemon: RealDaemon): Promise<string> {
  const dir = daemon.socket.replace(/\/unix\.socket$/, "");
  const root = dir.replace(/\/[^/]+$/, "");
  const wrapper = (await Deno.readTextFile(`${root}/${daemon.name}.pid`)).trim();
  const children = await Deno.readTextFile(`/proc/${wrapper}/task/${wrapper}/children`);
  return children.trim().split(/\s+/)[0];
}

/** A fresh self-signed client certificate and key (PEM), written as `dir`/client.crt and .key. */
export async function clientCertificate(
  dir: string,
  commonName: string,
): Promise<{ cert: string; key: string }> {
  const { code, stderr } = await new Deno.Command("openssl", {
    args: [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "2",
      "-subj",
      `/CN=${commonName}`,
      "-keyout",
      `${dir}/client.key`,
      "-out",
      `${dir}/client.crt`,
    ],
  }).output();
  if (code !== 0) throw new Error(`openssl req: ${new TextDecoder().decode(stderr)}`);
  return {
    cert: await Deno.readTextFile(`${dir}/client.crt`),
    key: await Deno.readTextFile(`${dir}/client.key`),
  };
}

/**
 * Trusts the PEM client certificate `cert` on the daemon behind `local`,
 * under a name unique to this run (`prefix-` and 8 hex digits); disposing
 * removes every certificate of that name.
 */
export async function trustClient(
  local: Client,
  cert: string,
  prefix: string,
): Promise<AsyncDisposable> {
  const name = `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
  await local.query("/1.0/certificates", {
    method: "POST",
    body: { type: "client", name, certificate: cert.replace(/-----[A-Z ]+-----|\s+/g, "") },
  });
  return {
    async [Symbol.asyncDispose]() {
      const paths = await local.query<string[]>("/1.0/certificates");
      for (const path of paths) {
        const entry = await local.query<{ name: string }>(path);
        if (entry.name === name) await local.query(path, { method: "DELETE" });
      }
    },
  };
}
