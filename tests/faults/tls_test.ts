/**
 * Fault matrix case 20: TLS remotes with a wrong server certificate, an
 * expired one, and a host name mismatch are all refused, with messages
 * naming the remote. Certificates are made at test time with openssl; the
 * "daemon" is Deno.serve over TLS on 127.0.0.1.
 */

import { assert, assertEquals, assertInstanceOf, assertStringIncludes } from "@std/assert";
import { connect, ConnectionError, ProtocolError } from "../../mod.ts";
import { FakeDaemon } from "../../src/testing/mod.ts";
import { outcome, within } from "./_bounded.ts";
import { certificates, httpsServer } from "./_certs.ts";
import { spawnCli } from "../_cli.ts";

/** What the daemons answer on `GET /1.0`, in short. */
const SYNC_ROOT = {
  type: "sync",
  status: "Success",
  status_code: 200,
  metadata: { api_version: "1.0" },
};

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
      await using daemon = httpsServer(server, () => Response.json(SYNC_ROOT));
      await using client = connect({ url: daemon.url, ca });
      const result = await client.query<{ api_version: string }>("/1.0").then(
        (metadata) => metadata,
        (error) => error,
      );
      if (!refused) {
        assertEquals(result, { api_version: "1.0" }, label);
        continue;
      }
      assertInstanceOf(result, ConnectionError, label);
      assertStringIncludes(result.message, daemon.url, label);
      assertStringIncludes(result.message, "certificate", label);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("8.25 a redirect (HTTPS remote or socket) is a ProtocolError naming its origin; nothing is re-sent", async () => {
  const dir = await Deno.makeTempDir({ prefix: "incusops-tls-" });
  try {
    const certs = await certificates(dir);
    const bodies: string[] = [];
    await using other = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (r) => {
        bodies.push(`${r.method} ${new URL(r.url).pathname} ${await r.text()}`);
        return Response.json({ ...SYNC_ROOT, metadata: { stolen: true } });
      },
    );
    const elsewhere = `http://127.0.0.1:${other.addr.port}`;
    const redirect = (request: Request) =>
      new Response(null, {
        status: request.method === "GET" ? 302 : 307,
        headers: { location: `${elsewhere}${new URL(request.url).pathname}?secret=S3CR3T` },
      });
    await using daemon = httpsServer(certs.good, redirect);
    await using fake = await FakeDaemon.start();
    fake.interceptor = redirect;
    const body = { command: ["true"], environment: { DB_PASSWORD: "hunter2" } };
    for (
      const [label, options] of [
        ["HTTPS remote", { url: daemon.url, ca: certs.ca }],
        ["Unix socket", { socket: fake.path }],
      ] as const
    ) {
      await using client = connect({ ...options, retry: false });
      for (
        const call of [
          () => client.query("/1.0"),
          () => client.query("/1.0/instances/c1/exec", { method: "POST", body }),
          () => client.operations.list(),
        ]
      ) {
        const error = await outcome(call()) as ProtocolError;
        assertInstanceOf(error, ProtocolError, label);
        assertStringIncludes(error.message, elsewhere, label);
        assertStringIncludes(error.message, "redirect", label);
        assert(!error.message.includes("S3CR3T"), `${label}: the location's query is not shown`);
        assert(error.status >= 300 && error.status < 400, label);
      }
    }
    await other.shutdown();
    assertEquals(bodies, [], "nothing (no body, no password) reached the other origin");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Runs `connect({ url, serverCert }).query("/1.0")` in a child process with `env`. */
async function queryInChild(
  dir: string,
  url: string,
  pinFile: string,
  env: Record<string, string>,
): Promise<string> {
  const script = `${dir}/pinned.ts`;
  await Deno.writeTextFile(
    script,
    `import { connect } from ${JSON.stringify(new URL("../../mod.ts", import.meta.url).href)};
await using client = connect({ url: Deno.args[0], serverCert: Deno.readTextFileSync(Deno.args[1]) });
console.log(await client.query("/1.0").then((m) => JSON.stringify(m), (e) => e.name));
`,
  );
  const { stdout, stderr } = await spawnCli([url, pinFile], { script, env, inheritEnv: true });
  const answer = stdout.trim();
  if (answer === "") throw new Error(`child: ${stderr}`);
  return answer;
}

Deno.test("8.26 pinning: the pinned certificate is added to Deno's roots, not alone (Deno 2.9 cannot narrow them)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "incusops-tls-" });
  try {
    const certs = await certificates(dir);
    await Deno.writeTextFile(`${dir}/pin.crt`, certs.self.cert);
    await using pinned = httpsServer(certs.self, () => Response.json(SYNC_ROOT));
    await using impostor = httpsServer(certs.impostor, () => Response.json(SYNC_ROOT));
    const root = JSON.stringify(SYNC_ROOT.metadata);
    // The pinned server's own certificate is accepted.
    assertEquals(await queryInChild(dir, pinned.url, `${dir}/pin.crt`, {}), root);
    // Another CA's certificate for the same address is refused...
    assertEquals(await queryInChild(dir, impostor.url, `${dir}/pin.crt`, {}), "ConnectionError");
    // ...unless that CA is among Deno's roots (here through DENO_CERT; a public CA that
    // issued one for the remote's name would do the same): the pin adds to the roots.
    assertEquals(
      await queryInChild(dir, impostor.url, `${dir}/pin.crt`, { DENO_CERT: `${dir}/other.crt` }),
      root,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("8.107 TLS: a peer that accepts and never completes the handshake: events() settles on close() and on its signal", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) accepted.push(conn);
  })();
  try {
    const url = `https://127.0.0.1:${listener.addr.port}`;
    const controller = new AbortController();
    await using byClose = connect({ url });
    await using bySignal = connect({ url });
    const closing = byClose.events();
    const aborting = bySignal.events({ signal: controller.signal });
    await byClose.close();
    controller.abort(new Error("stop"));
    const closed = await within(5_000, outcome(closing.opened));
    assertInstanceOf(closed, ConnectionError);
    assertStringIncludes((closed as Error).message, "closed");
    const aborted = await within(5_000, outcome(aborting.opened));
    assertInstanceOf(aborted, Error);
    assertStringIncludes((aborted as Error).message, "stop");
  } finally {
    listener.close();
    await accepting;
    for (const conn of accepted) conn.close();
  }
});
