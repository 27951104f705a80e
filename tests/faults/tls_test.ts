/**
 * Fault matrix case 20: TLS remotes with a wrong server certificate, an
 * expired one, and a host name mismatch are all refused, with messages
 * naming the remote. Certificates are made at test time with openssl; the
 * "daemon" is Deno.serve over TLS on 127.0.0.1.
 */

import { assertEquals, assertInstanceOf, assertStringIncludes } from "@std/assert";
import { connect, ConnectionError } from "../../mod.ts";

async function openssl(dir: string, ...args: string[]): Promise<void> {
  const { code, stderr } = await new Deno.Command("openssl", { args, cwd: dir }).output();
  if (code !== 0) throw new Error(`openssl ${args[0]}: ${new TextDecoder().decode(stderr)}`);
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/** A CA and server certificates (good, expired, wrong host) signed by it; another CA. */
async function certificates(dir: string) {
  const authority = (name: string, cn: string) =>
    openssl(
      dir,
      "req",
      "-x509",
      ...EC,
      "-days",
      "2",
      "-subj",
      `/CN=${cn}`,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.crt`,
    );
  await authority("ca", "test CA");
  await authority("other", "other CA");
  const server = async (name: string, san: string, dates: string[]) => {
    await openssl(
      dir,
      "req",
      ...EC,
      "-subj",
      `/CN=${name}`,
      "-addext",
      `subjectAltName=${san}`,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
    );
    await Deno.writeTextFile(
      `${dir}/ca.cnf`,
      "[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\n" +
        "policy=p\ndefault_md=sha256\ncopy_extensions=copy\n[p]\ncommonName=supplied\n",
    );
    await Deno.writeTextFile(`${dir}/index.txt`, "");
    await Deno.writeTextFile(
      `${dir}/serial`,
      `${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}\n`,
    );
    await openssl(
      dir,
      "ca",
      "-batch",
      "-config",
      "ca.cnf",
      "-cert",
      "ca.crt",
      "-keyfile",
      "ca.key",
      "-in",
      `${name}.csr`,
      "-out",
      `${name}.crt`,
      "-notext",
      ...dates,
    );
  };
  await server("good", "IP:127.0.0.1", ["-days", "2"]);
  await server("expired", "IP:127.0.0.1", [
    "-startdate",
    "20200101000000Z",
    "-enddate",
    "20200102000000Z",
  ]);
  await server("elsewhere", "DNS:elsewhere.example", ["-days", "2"]);
  const read = (file: string) => Deno.readTextFile(`${dir}/${file}`);
  return {
    ca: await read("ca.crt"),
    other: await read("other.crt"),
    good: { cert: await read("good.crt"), key: await read("good.key") },
    expired: { cert: await read("expired.crt"), key: await read("expired.key") },
    elsewhere: { cert: await read("elsewhere.crt"), key: await read("elsewhere.key") },
  };
}

Deno.test("8.20 TLS: wrong server certificate, expired, host mismatch → refused, naming the remote", async () => {
  const dir = await Deno.makeTempDir({ prefix: "incusops-tls-" });
  try {
    const certs = await certificates(dir);
    const cases = [
      { label: "trusted (control)", server: certs.good, ca: certs.ca, refused: false },
      { label: "wrong server certificate", server: certs.good, ca: certs.other, refused: true },
      { label: "expired", server: certs.expired, ca: certs.ca, refused: true },
      { label: "host name mismatch", server: certs.elsewhere, ca: certs.ca, refused: true },
    ];
    for (const { label, server, ca, refused } of cases) {
      const controller = new AbortController();
      const served = Deno.serve(
        {
          hostname: "127.0.0.1",
          port: 0,
          cert: server.cert,
          key: server.key,
          signal: controller.signal,
          onListen: () => {},
          onError: () => new Response(null, { status: 500 }),
        },
        () =>
          Response.json({
            type: "sync",
            status: "Success",
            status_code: 200,
            metadata: { api_version: "1.0" },
          }),
      );
      const url = `https://127.0.0.1:${served.addr.port}`;
      try {
        await using client = connect({ url, ca });
        const result = await client.query<{ api_version: string }>("/1.0").then(
          (metadata) => metadata,
          (error) => error,
        );
        if (!refused) {
          assertEquals(result, { api_version: "1.0" }, label);
          continue;
        }
        assertInstanceOf(result, ConnectionError, label);
        assertStringIncludes(result.message, url, label);
        assertStringIncludes(result.message, "certificate", label);
      } finally {
        controller.abort();
        await served.finished;
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
