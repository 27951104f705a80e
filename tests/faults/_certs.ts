/**
 * Certificates for the TLS fault cases, made at test time with openssl in
 * a temporary folder, and a loopback HTTPS "daemon" presenting one of them.
 */

async function openssl(dir: string, ...args: string[]): Promise<void> {
  const { code, stderr } = await new Deno.Command("openssl", { args, cwd: dir }).output();
  if (code !== 0) throw new Error(`openssl ${args[0]}: ${new TextDecoder().decode(stderr)}`);
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/** A CA with server certificates signed by it (good, expired, wrong host); another CA with an impostor for the same address. */
export async function certificates(dir: string) {
  const authority = (name: string, cn: string, ...extra: string[]) =>
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
      ...extra,
    );
  await authority("ca", "test CA");
  // Self-signed and not a CA, as the daemons make theirs: what `serverCert` pins.
  await authority(
    "self",
    "incus server",
    ...["-addext", "subjectAltName=IP:127.0.0.1", "-addext", "basicConstraints=critical,CA:FALSE"],
    ...["-addext", "keyUsage=digitalSignature", "-addext", "extendedKeyUsage=serverAuth"],
  );
  await authority("other", "other CA");
  const server = async (name: string, san: string, dates: string[], ca = "ca") => {
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
      `${ca}.crt`,
      "-keyfile",
      `${ca}.key`,
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
  // The same name as the pinned remote, from another CA.
  await server("impostor", "IP:127.0.0.1", ["-days", "2"], "other");
  const read = (file: string) => Deno.readTextFile(`${dir}/${file}`);
  return {
    ca: await read("ca.crt"),
    other: await read("other.crt"),
    good: { cert: await read("good.crt"), key: await read("good.key") },
    expired: { cert: await read("expired.crt"), key: await read("expired.key") },
    elsewhere: { cert: await read("elsewhere.crt"), key: await read("elsewhere.key") },
    self: { cert: await read("self.crt"), key: await read("self.key") },
    impostor: { cert: await read("impostor.crt"), key: await read("impostor.key") },
  };
}

/** A loopback HTTPS server presenting `server`, answering with `handler`. */
export function httpsServer(
  server: { cert: string; key: string },
  handler: (request: Request) => Response | Promise<Response>,
): { url: string; [Symbol.asyncDispose](): Promise<void> } {
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
    handler,
  );
  return {
    url: `https://127.0.0.1:${served.addr.port}`,
    async [Symbol.asyncDispose]() {
      controller.abort();
      await served.finished;
    },
  };
}
