/**
 * The CLI's printing at its limits: a table of 150,000 operations (built
 * with loops, not spread arguments), nesting deeper than any stack
 * (copied with an explicit stack and cut at MAX_DISPLAY_DEPTH), CSV quoting
 * by @std/csv, YAML by @std/yaml, and the column choice.
 */

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import {
  columnsFor,
  forDisplay,
  formatOperations,
  MAX_DISPLAY_DEPTH,
  projectOf,
  table,
  toYaml,
} from "../../src/cli/format.ts";
import type { Operation } from "../../mod.ts";

function operation(id: string, extra: Partial<Operation> = {}): Operation {
  return {
    id,
    class: "task",
    description: "Creating instance",
    created_at: "2026-11-30T10:00:00.123Z",
    updated_at: "2026-11-30T10:00:00.123Z",
    status: "Running",
    status_code: 103,
    resources: null,
    metadata: null,
    may_cancel: false,
    err: "",
    location: "none",
    ...extra,
  } as Operation;
}

/** `{ a: { a: ... { leaf } } }`, `depth` levels, built without recursion. */
function nested(depth: number, leaf: unknown): Record<string, unknown> {
  let node: Record<string, unknown> = { leaf };
  for (let i = 0; i < depth; i++) node = { a: node };
  return node;
}

Deno.test("table: 150,000 operations print (no spread of every row into Math.max)", async () => {
  const ops = Array.from({ length: 150_000 }, (_, i) => operation(`op-${i}`));
  const text = await formatOperations(ops, "table");
  const lines = text.split("\n");
  assertEquals(lines.length, 3 + 2 * ops.length);
  assertStringIncludes(lines[3], "| op-0 ");
  assertEquals(table(["A"], [["x"], ["yyy"]]).split("\n")[3], "| x   |");
});

Deno.test("forDisplay: 100,000 levels of metadata are cut at MAX_DISPLAY_DEPTH, without recursion", async () => {
  const op = operation("deep", { metadata: nested(100_000, "bottom") });
  const shown = forDisplay(op);
  let node: unknown = shown;
  let depth = 0;
  while (typeof node === "object" && node !== null) {
    const record = node as Record<string, unknown>;
    node = record.metadata ?? record.a;
    depth++;
  }
  assertEquals(depth, MAX_DISPLAY_DEPTH);
  assertEquals(node, `[nested deeper than ${MAX_DISPLAY_DEPTH} levels: not shown]`);
  for (const format of ["table", "json", "yaml", "csv"] as const) {
    assert((await formatOperations([shown], format)).includes("deep"), format);
  }
  assertStringIncludes(await toYaml(shown), "not shown");
});

Deno.test("forDisplay: secrets masked (or kept when asked), key order and __proto__ keys kept as data", () => {
  const secret = "ab".repeat(20);
  const raw = JSON.parse(
    `{"id":"x","class":"websocket","metadata":{"fds":{"0":"${secret}"},"control":"${secret}",` +
      `"note":"kept","__proto__":{"polluted":true}},"token":"t"}`,
  );
  const masked = forDisplay(raw);
  assertEquals(Object.keys(masked), ["id", "class", "metadata", "token"]);
  assertEquals(masked.metadata.fds, { "0": "********" });
  assertEquals(masked.metadata.control, "********");
  assertEquals(masked.metadata.note, "kept");
  assertEquals(masked.token, "********");
  assert(Object.hasOwn(masked.metadata, "__proto__"), "a plain key");
  assertEquals(({} as Record<string, unknown>).polluted, undefined);
  assertEquals(forDisplay(raw, { mask: false }).metadata.fds["0"], secret);
});

Deno.test("csv: RFC 4180 quoting by @std/csv, one line feed per row; columns extend (PROJECT)", async () => {
  const ops = [
    operation("a", { description: 'say "hi", twice' }),
    operation("b", { description: "two\nlines", project: "web" }),
  ];
  const csv = await formatOperations(ops, "csv");
  assertEquals(
    csv,
    'a,TASK,"say ""hi"", twice",RUNNING,NO,2026-11-30 10:00:00 UTC\n' +
      "b,TASK,two\\nlines,RUNNING,NO,2026-11-30 10:00:00 UTC",
  );
  assertEquals(columnsFor().map((c) => c.name)[1], "TYPE");
  const withProject = columnsFor({ allProjects: true });
  assertEquals(withProject.map((c) => c.name).slice(0, 3), ["ID", "PROJECT", "TYPE"]);
  const projects = await formatOperations(ops, "csv", withProject);
  assertStringIncludes(projects, "b,web,TASK,");
  assertStringIncludes(projects, "a,,TASK,");
});

Deno.test("projectOf: the project field, else project= of the resources, else default; unknown without resources", () => {
  assertEquals(projectOf(operation("a", { project: "web" })), "web");
  const resources = { instances: ["/1.0/instances/c1?project=shop"] };
  assertEquals(projectOf(operation("b", { resources })), "shop");
  assertEquals(
    projectOf(operation("c", { resources: { instances: ["/1.0/instances/c1"] } })),
    "default",
  );
  assertEquals(projectOf(operation("d", { resources: null })), "");
});
