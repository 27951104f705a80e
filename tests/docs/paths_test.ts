/**
 * The documentation names only what exists: every repository path it
 * mentions (`src/...`, `tests/...`, `bench/...`, `api/...`, `.ci/...`) is a
 * file or folder of the checkout, and every `deno task X` a task of deno.json.
 */

import { assertEquals } from "@std/assert";
import { docFiles } from "../_readme.ts";

const root = new URL("../../", import.meta.url);

/** A repository path in prose (`src/incus/`, `tests/faults/cluster_*_test.ts`), not inside a URL. */
const REPO_PATH = /(?<![\w./-])(?:src|tests|bench|api|\.ci)\/[\w./*-]*[\w*]/g;

Deno.test("docs: every path and deno task they name exists", async () => {
  const tasks = Object.keys(JSON.parse(await Deno.readTextFile(new URL("deno.json", root))).tasks);
  const problems: string[] = [];
  for (const file of [...docFiles(), "CONTRIBUTING.md"]) {
    const text = await Deno.readTextFile(new URL(file, root));
    for (const [path] of text.matchAll(REPO_PATH)) {
      if (path.includes("*")) continue;
      try {
        await Deno.stat(new URL(path, root));
      } catch {
        problems.push(`${file}: ${path} does not exist`);
      }
    }
    for (const [, task] of text.matchAll(/deno task ([\w:-]+)/g)) {
      if (!tasks.includes(task)) problems.push(`${file}: deno task ${task} is not in deno.json`);
    }
  }
  assertEquals(problems, []);
});
