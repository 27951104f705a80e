/**
 * The client makes no name lookups while talking to a Unix socket: a script
 * that lists, waits and queries runs under strace, and no connect() leaves
 * for an inet address (port 53 or any other), nor is /etc/resolv.conf read
 * by the client's requests.
 */

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { DAEMONS } from "../integration/_daemons.ts";

const ROOT = new URL("../../", import.meta.url);

const SCRIPT = `
import { connect } from ${JSON.stringify(new URL("mod.ts", ROOT).href)};
await using client = connect({ socket: Deno.args[0] });
const op = await client.query("/1.0/instances/c1/exec", {
  method: "POST",
  body: { command: ["true"], "wait-for-websocket": false },
});
await client.operations.wait(op.id, { timeout: 20_000 });
await client.operations.list();
console.log("done");
`;

for (const daemon of DAEMONS) {
  Deno.test(`8.22 ${daemon.name}: no DNS lookups and no inet connections on the Unix transport`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "incusops-nodns-" });
    try {
      const script = `${dir}/client.ts`;
      await Deno.writeTextFile(script, SCRIPT);
      const trace = `${dir}/trace`;
      const { code, stdout, stderr } = await new Deno.Command("strace", {
        args: [
          "-f",
          "-e",
          "trace=connect,sendto,sendmsg,openat",
          "-o",
          trace,
          Deno.execPath(),
          "run",
          "-A",
          "--import-map",
          decodeURIComponent(new URL(".ci/offline-imports.json", ROOT).pathname),
          script,
          daemon.socket,
        ],
      }).output();
      assertEquals(code, 0, new TextDecoder().decode(stderr));
      assertStringIncludes(new TextDecoder().decode(stdout), "done");
      const lines = (await Deno.readTextFile(trace)).split("\n");
      const unix = lines.filter((line) => line.includes("connect(") && line.includes("AF_UNIX"));
      assert(
        unix.some((line) => line.includes(daemon.socket)),
        "the client connected to the daemon's socket",
      );
      const inet = lines.filter((line) => /AF_INET6?/.test(line));
      assertEquals(inet, [], "no inet connect/send (DNS or otherwise)");
      assertEquals(lines.filter((line) => line.includes("htons(53)")), []);
      // A lookup would read these first (glibc's resolver).
      assertEquals(
        lines.filter((line) => /\/etc\/(resolv\.conf|nsswitch\.conf|hosts)"/.test(line)),
        [],
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
