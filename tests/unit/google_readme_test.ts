/**
 * The README's `./google` example, run as written against the fake
 * google.longrunning service, with only loopback network permission.
 */

import { assertEquals, assertStringIncludes } from "@std/assert";

const ROOT = new URL("../../", import.meta.url);

/** The first ```ts block after the `./google` heading. */
async function example(): Promise<string> {
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  const section = readme.slice(readme.indexOf("## Google long-running operations"));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (match === null) throw new Error("README has no ./google example");
  return match[1];
}

Deno.test("README: the ./google example works as written (fake service, --allow-net=127.0.0.1)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "incusops-google-readme-" });
  try {
    const script = `${dir}/google.ts`;
    await Deno.writeTextFile(script, await example());
    const offline = JSON.parse(
      await Deno.readTextFile(new URL(".ci/offline-imports.json", ROOT)),
    ).imports;
    const map = `${dir}/import_map.json`;
    await Deno.writeTextFile(
      map,
      JSON.stringify({
        imports: {
          ...offline,
          "jsr:@incusops/operations/google": new URL("src/google/mod.ts", ROOT).href,
          "jsr:@incusops/operations/testing": new URL("src/testing/mod.ts", ROOT).href,
        },
      }),
    );
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
        `--allow-read=${decodeURIComponent(ROOT.pathname)}`,
        "--allow-net=127.0.0.1",
        script,
      ],
      env,
      clearEnv: true,
    }).output();
    const out = new TextDecoder().decode(stdout);
    assertEquals(code, 0, new TextDecoder().decode(stderr));
    assertStringIncludes(out, "running: operations/op-1");
    assertStringIncludes(out, "running: operations/op-2");
    assertStringIncludes(out, "built: 7");
    assertStringIncludes(out, "cancelled: operations/op-2");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
