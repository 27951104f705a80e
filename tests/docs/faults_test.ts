/**
 * docs/faults.md, the fault matrix, stays honest: its IDs are unique and in
 * order, every test file a row names exists, and a `tests/faults/` file
 * named by a row holds a test carrying the row's ID (`8.<ID>`).
 */

import { assert, assertEquals } from "@std/assert";

const root = new URL("../../", import.meta.url);

/** A row of the matrix: its ID and the test files its last cell names. */
interface Row {
  id: string;
  files: string[];
}

function matrixRows(text: string): Row[] {
  return text.split("\n").flatMap((line) => {
    const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim());
    if (!/^\d+[a-z]?$/.test(cells[0] ?? "")) return [];
    const files = [...(cells.at(-1) ?? "").matchAll(/`([\w/.-]+_test\.ts)`/g)].map((m) => m[1]);
    return [{ id: cells[0], files }];
  });
}

/** Orders "2" < "2b" < "3" < "13" < "13b". */
function rank(id: string): [number, string] {
  const [, number, letter] = /^(\d+)([a-z]?)$/.exec(id)!;
  return [Number(number), letter];
}

Deno.test("docs/faults.md: IDs unique and in order; each row names test files that hold its test", async () => {
  const rows = matrixRows(await Deno.readTextFile(new URL("docs/faults.md", root)));
  assert(rows.length >= 50, `only ${rows.length} rows found`);
  const problems: string[] = [];
  rows.forEach((row, index) => {
    if (row.files.length === 0) problems.push(`${row.id}: names no test file`);
    if (index === 0) return;
    const [a, b] = [rank(rows[index - 1].id), rank(row.id)];
    if (a[0] > b[0] || (a[0] === b[0] && a[1] >= b[1])) {
      problems.push(`${row.id} follows ${rows[index - 1].id}: not in order, or twice`);
    }
  });
  for (const row of rows) {
    for (const file of row.files) {
      let source: string;
      try {
        source = await Deno.readTextFile(new URL(`tests/${file}`, root));
      } catch {
        problems.push(`${row.id}: tests/${file} does not exist`);
        continue;
      }
      // "8.12" is in "8.12b ..." and "8.51+8.52 ...", not in "8.120".
      const named = new RegExp(`[\`"+]8\\.${row.id}(?![0-9])`);
      if (file.startsWith("faults/") && !named.test(source)) {
        problems.push(`${row.id}: tests/${file} has no test named 8.${row.id}`);
      }
    }
  }
  assertEquals(problems, []);
});

Deno.test("docs/faults.md: no fault test ID is used twice for different tests", async () => {
  const ids = new Map<string, string[]>();
  for await (const entry of Deno.readDir(new URL("tests/faults/", root))) {
    if (!entry.name.endsWith("_test.ts")) continue;
    const source = await Deno.readTextFile(new URL(`tests/faults/${entry.name}`, root));
    for (const [, names] of source.matchAll(/Deno\.test\(\s*[`"]((?:8\.\d+[a-z]?[+/]?)+) /g)) {
      for (const id of names.split(/[+/]/).filter((part) => part !== "")) {
        ids.set(id, [...(ids.get(id) ?? []), entry.name]);
      }
    }
  }
  const twice = [...ids].filter(([, files]) => new Set(files).size > 1);
  assertEquals(twice, [], "an ID names tests in different files");
  assert(ids.size >= 30, `only ${ids.size} fault test IDs found`);
});
