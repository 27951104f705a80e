/**
 * Runs the documentation's examples as written, in a subprocess with only
 * the given permissions: the published names resolve to this checkout, std
 * through the offline import map.
 *
 * The documentation is README.md (the JSR page) and every page of docs/.
 * Each of their ```ts blocks is an example that runs. Its fence may carry
 * one marker after `ts`:
 * - `real-daemon`: it needs a real Incus or LXD (tests/integration runs
 *   it on both; the fake-daemon run skips it);
 * - `real-cluster`: it needs the real 3-member cluster (run by
 *   tests/integration/cluster_test.ts only);
 * - `ignore`: not a program (e.g. alternative import lines); never run.
 * A `console.log(...); // text` line promises its output: every word of
 * `text` (quotes stripped) must appear in what the block prints.
 */

import { assert, assertEquals } from "@std/assert";

const ROOT = new URL("../", import.meta.url);

/** The checkout's root folder, as a path. */
export const ROOT_PATH: string = decodeURIComponent(ROOT.pathname);

/** The documentation's files, relative to the root: README.md, then docs/*.md by name. */
export function docFiles(): string[] {
  const pages = [...Deno.readDirSync(new URL("docs/", ROOT))]
    .filter((entry) => entry.isFile && entry.name.endsWith(".md"))
    .map((entry) => `docs/${entry.name}`)
    .sort();
  return ["README.md", ...pages];
}

/** One ```ts block of the documentation. */
export interface ReadmeBlock {
  /** The file it is in, relative to the root (e.g. "docs/exec.md"). */
  file: string;
  /** The nearest heading above it (e.g. "## Quick start"). */
  heading: string;
  /** Its first line's number in its file (1-based). */
  line: number;
  /** The marker after `ts` in its fence ("" when none). */
  marker: string;
  /** Its code. */
  code: string;
}

/** Every ```ts block of one file (relative to the root), in order. */
export function blocksOf(file: string, text: string): ReadmeBlock[] {
  const lines = text.split("\n");
  const blocks: ReadmeBlock[] = [];
  let heading = "";
  for (let i = 0; i < lines.length; i++) {
    if (/^#{1,6} /.test(lines[i])) heading = lines[i];
    const fence = /^```ts(?:\s+(.*))?$/.exec(lines[i]);
    if (fence === null) {
      // Skip other fenced blocks whole, so a "#" line inside is no heading.
      if (lines[i].startsWith("```")) {
        while (++i < lines.length && !lines[i].startsWith("```"));
      }
      continue;
    }
    const start = i + 1;
    while (++i < lines.length && !lines[i].startsWith("```"));
    blocks.push({
      file,
      heading,
      line: start + 1,
      marker: (fence[1] ?? "").trim(),
      code: lines.slice(start, i).join("\n") + "\n",
    });
  }
  return blocks;
}

/** Every ```ts block of README.md and docs/*.md, in order. */
export async function readmeBlocks(): Promise<ReadmeBlock[]> {
  const blocks: ReadmeBlock[] = [];
  for (const file of docFiles()) {
    blocks.push(...blocksOf(file, await Deno.readTextFile(new URL(file, ROOT))));
  }
  return blocks;
}

/** Whether a block starts its own fakes (imports `./testing`) and needs no daemon. */
export function selfContained(block: ReadmeBlock): boolean {
  return /from "(jsr:)?@incusops\/operations\/testing"/.test(block.code);
}

/** A short name for a block in test names. */
export function blockName(block: ReadmeBlock): string {
  return `${block.heading.replace(/^#+ /, "")} (${block.file}:${block.line})`;
}

/**
 * What a block's `console.log(...); // text` comments promise: the words of
 * each comment, quotes stripped (words with `\` or `...` are left out).
 */
export function promisedWords(code: string): string[] {
  const words: string[] = [];
  for (const line of code.split("\n")) {
    const comment = /console\.log\(.*\);?\s*\/\/\s*(.+)$/.exec(line)?.[1];
    if (comment === undefined) continue;
    for (const raw of comment.split(/\s+/)) {
      const word = raw.replace(/^["'`]+|["'`,]+$/g, "");
      if (word !== "" && !word.includes("\\") && !word.includes("...") && !word.includes("…")) {
        words.push(word);
      }
    }
  }
  return words;
}

/** Asserts `stdout` holds every word the block's comments promise. */
export function assertPromisedOutput(block: ReadmeBlock, stdout: string): void {
  for (const word of promisedWords(block.code)) {
    assert(
      stdout.includes(word),
      `${block.file}:${block.line}: the output lacks ${
        JSON.stringify(word)
      } its comment promises:\n` +
        stdout,
    );
  }
}

/** The Deno flags an example needs on a Unix socket (README's minimal set). */
export function socketPermissions(socket: string): string[] {
  return [
    "--allow-env",
    `--allow-read=${socket},${ROOT_PATH}`,
    `--allow-write=${socket}`,
    `--allow-net=unix:${socket},127.0.0.1:80`,
  ];
}

/**
 * Writes into `dir` the import map examples run with (the published names
 * resolve to this checkout, std through the offline map); returns its path.
 */
async function writeImportMap(dir: string): Promise<string> {
  const offline = JSON.parse(
    await Deno.readTextFile(new URL(".ci/offline-imports.json", ROOT)),
  ).imports;
  const exports = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT))).exports;
  const published = Object.fromEntries(
    Object.entries(exports as Record<string, string>).flatMap(([name, file]) => {
      const target = new URL(file, ROOT).href;
      const specifier = `@incusops/operations${name.slice(1)}`;
      return [[`jsr:${specifier}`, target], [specifier, target]];
    }),
  );
  const map = `${dir}/import_map.json`;
  await Deno.writeTextFile(map, JSON.stringify({ imports: { ...offline, ...published } }));
  return map;
}

/** Runs `deno <args...> <files>` on `files` written into a temporary folder. */
async function denoOn(
  files: Record<string, string>,
  args: (map: string, paths: string[]) => string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = await Deno.makeTempDir({ prefix: "incusops-readme-" });
  try {
    const paths = [];
    for (const [name, code] of Object.entries(files)) {
      paths.push(`${dir}/${name}`);
      await Deno.writeTextFile(`${dir}/${name}`, code);
    }
    const map = await writeImportMap(dir);
    const inherited = Object.fromEntries(
      ["PATH", "HOME", "DENO_DIR"].flatMap((key) => {
        const value = Deno.env.get(key);
        return value === undefined ? [] : [[key, value]];
      }),
    );
    const output = await new Deno.Command(Deno.execPath(), {
      args: args(map, paths),
      env: { ...inherited, ...env },
      clearEnv: true,
    }).output();
    const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    return { code: output.code, stdout: text(output.stdout), stderr: text(output.stderr) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Runs `code` with `permissions` and `env`; asserts it exits 0 and
 * resolves with its stdout.
 */
export async function runExample(
  code: string,
  permissions: string[],
  env: Record<string, string> = {},
): Promise<string> {
  const { code: exit, stdout, stderr } = await denoOn(
    { "example.ts": code },
    (map, [script]) => ["run", "--no-config", "--import-map", map, ...permissions, script],
    env,
  );
  assertEquals(exit, 0, stderr);
  return stdout;
}

/** Type-checks `blocks` as users would copy them (one `deno check`); asserts they pass. */
export async function checkExamples(blocks: ReadmeBlock[]): Promise<void> {
  const files = Object.fromEntries(
    blocks.map((block) => [`${block.file.replace(/\W/g, "_")}_${block.line}.ts`, block.code]),
  );
  const { code, stderr } = await denoOn(
    files,
    (map, paths) => ["check", "--no-config", "--import-map", map, ...paths],
  );
  assertEquals(code, 0, stderr);
}

/**
 * The first ```ts block under the heading whose text starts with `heading`
 * (its `#`s may be left out), in README.md or a docs/ page.
 */
export async function readmeExample(heading: string): Promise<string> {
  const wanted = heading.replace(/^#+ /, "");
  const block = (await readmeBlocks()).find((b) =>
    b.heading.replace(/^#+ /, "").startsWith(wanted)
  );
  if (block === undefined) throw new Error(`the docs have no code block under ${heading}`);
  return block.code;
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
  return await runExample(await readmeExample(heading), permissions, env);
}
