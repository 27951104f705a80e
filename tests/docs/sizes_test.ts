import { assertEquals } from "@std/assert";
import { countLines } from "../../.ci/sizes.ts";

Deno.test("file sizes: JSDoc blocks are not code, everything else is", () => {
  const text = [
    "/**",
    " * A doc block.",
    " */",
    "export const a = 1; /** trailing docs do not open a block */",
    "/** One-line docs. */",
    "// a line comment is code's commentary, counted",
    "export function f() {}",
    "",
  ].join("\n");
  assertEquals(countLines(text), { lines: 7, code: 3 });
});
