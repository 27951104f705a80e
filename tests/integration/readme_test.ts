/**
 * The README's quick start, run as written (with the documented minimal
 * permissions) against each real daemon.
 */

import { assertEquals, assertStringIncludes } from "@std/assert";
import { DAEMONS } from "./_daemons.ts";

const ROOT = new URL("../../", import.meta.url);

/** The first ```ts block after the "## Quick start" heading. */
async function quickStart(): Promise<string> {
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  const section = readme.slice(readme.indexOf("## Quick start"));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (match === null) throw new Error("README has no quick start code block");
  return match[1];
}

for (const daemon of DAEMONS) {
  Deno.test(`${daemon.name}: the README quick start works as written, with minimal permissions`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "incusops-readme-" });
    try {
      const script = `${dir}/quickstart.ts`;
      await Deno.writeTextFile(script, await quickStart());
      // Resolve the published name to this checkout, std through the offline map.
      const offline = JSON.parse(
        await Deno.readTextFile(new URL(".ci/offline-imports.json", ROOT)),
      ).imports;
      const map = `${dir}/import_map.json`;
      await Deno.writeTextFile(
        map,
        JSON.stringify({
          imports: { ...offline, "jsr:@incusops/operations": new URL("mod.ts", ROOT).href },
        }),
      );
      const socket = daemon.socket;
      const env = Object.fromEntries(
        ["PATH", "HOME", "DENO_DIR"].flatMap((key) => {
          const value = Deno.env.get(key);
          return value === undefined ? [] : [[key, value]];
        }),
      );
      const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--no-config",
          "--import-map",
          map,
          "--allow-env",
          `--allow-read=${socket},${decodeURIComponent(ROOT.pathname)}`,
          `--allow-write=${socket}`,
          `--allow-net=unix:${socket},127.0.0.1:80`,
          script,
        ],
        env: { ...env, INCUS_SOCKET: socket },
        clearEnv: true,
      }).output();
      const out = new TextDecoder().decode(stdout);
      assertEquals(code, 0, new TextDecoder().decode(stderr));
      assertStringIncludes(out, "Executing command");
      assertStringIncludes(out, "Success 0");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
