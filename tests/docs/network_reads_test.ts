/**
 * docs/network-reads.md, the table of every network read, stays complete:
 * each source file that opens a network read is named on it, and each
 * source file it names exists.
 */

import { assertEquals } from "@std/assert";

const root = new URL("../../", import.meta.url);

/** What opens a read from the network, in code (not in comments). */
const NETWORK_CALL =
  /(?<![.\w])fetch\(|new WebSocket\(|Deno\.(?:connect|connectTls|serve|upgradeWebSocket)\(/;

/** The `.ts` files under `folder` (relative to the root), recursively. */
function sourceFiles(folder: string): string[] {
  return [...Deno.readDirSync(new URL(folder, root))].flatMap((entry) => {
    const path = `${folder}${entry.name}`;
    if (entry.isDirectory) return sourceFiles(`${path}/`);
    return entry.isFile && path.endsWith(".ts") ? [path] : [];
  });
}

/** `text` without its comments: JSDoc and line comments (examples in JSDoc call fetch too). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

Deno.test("docs/network-reads.md names every source file that reads from the network", async () => {
  const page = await Deno.readTextFile(new URL("docs/network-reads.md", root));
  const reading = sourceFiles("src/").filter((file) =>
    NETWORK_CALL.test(code(Deno.readTextFileSync(new URL(file, root))))
  );
  const missing = reading.filter((file) => !page.includes(`\`${file}\``));
  assertEquals(missing, [], "add a row (or a cell) for each to docs/network-reads.md");
  const named = [...page.matchAll(/`(src\/[\w/.-]+\.ts)`/g)].map((match) => match[1]);
  const gone = named.filter((file) => {
    try {
      return !Deno.statSync(new URL(file, root)).isFile;
    } catch {
      return true;
    }
  });
  assertEquals(gone, [], "docs/network-reads.md names files that do not exist");
});
