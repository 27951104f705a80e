/**
 * Runs a README example as written, in a subprocess with only the given
 * permissions: the published names resolve to this checkout, std through
 * the offline import map.
 */

import { assertEquals } from "@std/assert";

const ROOT = new URL("../", import.meta.url);

/** The checkout's root folder, as a path. */
export const ROOT_PATH: string = decodeURIComponent(ROOT.pathname);

/** The first ```ts block after `heading` in README.md. */
export async function readmeExample(heading: string): Promise<string> {
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  const start = readme.indexOf(heading);
  const match = /```ts\n([\s\S]*?)```/.exec(readme.slice(start));
  if (start < 0 || match === null) throw new Error(`README has no code block under ${heading}`);
  return match[1];
}

/**
 * Runs the example under `heading` with `permissions` (e.g.
 * `--allow-net=127.0.0.1`) and `env`; asserts it exits 0 and resolves with
 * its stdout.
 */
export async function runReadmeExample(
  heading: string,
  permissions: string[],
  env: Record<string, string> = {},
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "incusops-readme-" });
  try {
    const script = `${dir}/example.ts`;
    await Deno.writeTextFile(script, await readmeExample(heading));
    const offline = JSON.parse(
      await Deno.readTextFile(new URL(".ci/offline-imports.json", ROOT)),
    ).imports;
    const exports = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT))).exports;
    const published = Object.fromEntries(
      Object.entries(exports as Record<string, string>).map(([name, file]) => [
        `jsr:@incusops/operations${name.slice(1)}`,
        new URL(file, ROOT).href,
      ]),
    );
    const map = `${dir}/import_map.json`;
    await Deno.writeTextFile(map, JSON.stringify({ imports: { ...offline, ...published } }));
    const inherited = Object.fromEntries(
      ["PATH", "HOME", "DENO_DIR"].flatMap((key) => {
        const value = Deno.env.get(key);
        return value === undefined ? [] : [[key, value]];
      }),
    );
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-config", "--import-map", map, ...permissions, script],
      env: { ...inherited, ...env },
      clearEnv: true,
    }).output();
    assertEquals(code, 0, new TextDecoder().decode(stderr));
    return new TextDecoder().decode(stdout);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
