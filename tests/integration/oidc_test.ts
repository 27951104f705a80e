/**
 * Bearer / OIDC authentication against the real Incus 6.0.4 with a test
 * OIDC issuer. The daemons run in their own loopback-only network
 * namespace, so the issuer (which the daemon fetches its keys from) and
 * the HTTPS client run there too: _oidc_scenario.ts, started with nsenter.
 * LXD 5.0.2 has no OIDC: Incus only.
 */

import { assert, assertEquals, assertFalse } from "@std/assert";
import { DAEMONS } from "./_daemons.ts";
import { daemonPid } from "./_https.ts";
import { spawnCli } from "../_cli.ts";

const SCENARIO = new URL("_oidc_scenario.ts", import.meta.url).pathname;
/** Not the cluster's 127.0.0.11-13:8443 nor https_test's 8443/8444. */
const PORT = 8453;

for (const daemon of DAEMONS.filter((daemon) => daemon.name === "incus")) {
  Deno.test("incus: bearer tokens from a test OIDC issuer over HTTPS (list, wait, events, exec; refused tokens; an oidc remote refreshed and written back; the CLI)", async () => {
    const dir = await Deno.makeTempDir({ prefix: "incusops-oidc-" });
    try {
      const pid = await daemonPid(daemon);
      const output = await spawnCli([daemon.socket, String(PORT), dir], {
        script: SCENARIO,
        inheritEnv: true,
        netns: pid,
      });
      const stderr = output.stderr;
      assertEquals(output.code, 0, stderr);
      const lines = output.stdout.trim().split("\n");
      const { result, outputs, tokens } = JSON.parse(lines.at(-1)!) as {
        result: Record<string, unknown>;
        outputs: string[];
        tokens: string[];
      };
      assertEquals(result.auth, ["trusted", "incusops@example.test"]);
      assertEquals(result.anonymous, "untrusted");
      assertEquals((result.certAndToken as string[])[0], "trusted", String(result.certAndToken));
      assertEquals(result.listed, true);
      assertEquals(result.waited, "Success");
      assertEquals(result.event, true);
      assertEquals(result.exec, ["with a token\n", 3]);
      assertEquals(result.longPoll, "Success");
      const refused = result.refused as Record<string, unknown>;
      for (const kind of ["expired", "audience", "foreign", "garbage"]) {
        const [name, status, namedIssuer, message] = refused[kind] as [
          string,
          number,
          boolean,
          string,
        ];
        assertEquals([name, status, namedIssuer], ["AuthenticationError", 401, true], kind);
        assert(message.includes(`https://127.0.0.1:${PORT}`), message);
        assertEquals(refused[`${kind}-websocket`], "AuthenticationError", kind);
      }
      assertEquals(result.refreshedOnce, [true, [false, true]]);
      assertEquals(result.remoteListed, true);
      const written = result.writtenBack as Record<string, unknown>;
      assertEquals(written.refreshes, ["refresh-sso"]);
      assertEquals(
        [written.newAccess, written.newRefresh, written.future, written.mode],
        [true, true, true, "600"],
      );
      assertEquals(written.files, ["sso.json", "stale.json"], "no temporary file left");
      assertEquals(result.cliList, [0, true]);
      // The incus CLI (6.0.4) reads the tokens as written back.
      assertEquals((result.incusCli as unknown[]).slice(0, 2), [0, true], String(result.incusCli));
      const [code, stale] = result.cliStale as [number, string[]];
      assertEquals(code, 4);
      assertEquals(stale.length, 1, stale.join("\n"));
      assert(stale[0].includes('"incus info stale:"'), stale[0]);
      // No token in any error, stack, inspection or CLI output.
      for (const token of tokens) {
        for (const text of [...outputs, stderr]) {
          assertFalse(text.includes(token), `a token leaked into: ${text.slice(0, 300)}`);
        }
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
