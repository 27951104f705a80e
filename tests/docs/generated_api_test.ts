/**
 * The generator gate of `deno task gates` (`.ci/api/generate.ts --check`),
 * run on a copy of its inputs and outputs: up to date on the checkout; a
 * hand edit of a generated module, or a description that is not the
 * recorded one, fails naming the file.
 */

import { assertEquals, assertStringIncludes } from "@std/assert";

const ROOT = new URL("../../", import.meta.url);

/** Copies `.ci/api/` and `src/api/` into a temporary folder; resolves with it. */
async function copyOfGenerator(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "incusops-genapi-" });
  for (const folder of [".ci/api", "src/api"]) {
    await Deno.mkdir(`${dir}/${folder}`, { recursive: true });
    for await (const entry of Deno.readDir(new URL(folder, ROOT))) {
      if (entry.isFile) {
        await Deno.copyFile(
          new URL(`${folder}/${entry.name}`, ROOT),
          `${dir}/${folder}/${entry.name}`,
        );
      }
    }
  }
  return dir;
}

/** Runs the gate in `dir`: its exit code and output. */
async function gate(dir: string): Promise<{ code: number; output: string }> {
  const map = new URL(".ci/offline-imports.json", ROOT).pathname;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-run",
      "--import-map",
      map,
      ".ci/api/generate.ts",
      "--check",
    ],
    cwd: dir,
  }).output();
  const text = new TextDecoder();
  return { code, output: text.decode(stdout) + text.decode(stderr) };
}

Deno.test("gen:api --check: up to date on the checkout; a hand-edited module or a changed description fails, named", async () => {
  const dir = await copyOfGenerator();
  try {
    const clean = await gate(dir);
    assertEquals(clean.code, 0, clean.output);
    assertStringIncludes(clean.output, "generated API modules: up to date");

    const module = `${dir}/src/api/lxd_5_0.ts`;
    const generated = await Deno.readTextFile(module);
    await Deno.writeTextFile(module, generated.replace("resources:", "resource:"));
    const edited = await gate(dir);
    assertEquals(edited.code, 1, edited.output);
    assertStringIncludes(
      edited.output,
      "differ from api/ (run deno task gen:api): src/api/lxd_5_0.ts",
    );
    await Deno.writeTextFile(module, generated);

    const description = `${dir}/.ci/api/incus-6.0.4-rest-api.yaml`;
    await Deno.writeTextFile(description, "\n", { append: true });
    const changed = await gate(dir);
    assertEquals(changed.code, 1, changed.output);
    assertStringIncludes(changed.output, ".ci/api/incus-6.0.4-rest-api.yaml: sha256");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
