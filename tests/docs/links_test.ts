/**
 * The documentation's relative links work on the JSR page and in the
 * repository: each names a file that exists and that deno.json's
 * `publish.include` ships, and each `#anchor` a heading of its target.
 */

import { assertEquals } from "@std/assert";
import { docFiles } from "../_readme.ts";

const root = new URL("../../", import.meta.url);

/** A heading's anchor as GitHub and JSR make it. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "").replace(
    / /g,
    "-",
  );
}

async function anchorsOf(file: string): Promise<Set<string>> {
  const text = await Deno.readTextFile(new URL(file, root));
  const headings = text.replace(/^```[\s\S]*?^```/gm, "").match(/^#{1,6} .*$/gm) ?? [];
  return new Set(headings.map((line) => slug(line.replace(/^#+ /, ""))));
}

Deno.test("docs: relative links name published files and existing headings", async () => {
  const include: string[] = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", root)),
  ).publish.include;
  const published = (path: string) =>
    include.some((entry) => entry.endsWith("/") ? path.startsWith(entry) : path === entry);
  const problems: string[] = [];
  for (const file of docFiles()) {
    const text = (await Deno.readTextFile(new URL(file, root))).replace(/^```[\s\S]*?^```/gm, "");
    for (const [, link] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(link)) continue;
      const [path, anchor] = link.split("#");
      const target = path === "" ? file : new URL(path, new URL(file, root)).pathname
        .slice(decodeURIComponent(root.pathname).length);
      if (!published(target)) {
        problems.push(`${file}: ${link}: ${target} is not in publish.include`);
        continue;
      }
      try {
        await Deno.stat(new URL(target, root));
      } catch {
        problems.push(`${file}: ${link}: ${target} does not exist`);
        continue;
      }
      if (anchor !== undefined && !(await anchorsOf(target)).has(anchor)) {
        problems.push(`${file}: ${link}: no heading #${anchor} in ${target}`);
      }
    }
  }
  assertEquals(problems, []);
});
