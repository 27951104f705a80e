import { assertEquals } from "@std/assert";
import type { Operation } from "../../src/incus/operation.ts";
import { sortOldestFirst } from "../../src/incus/operations/list.ts";

const at = (id: string, created_at: string) => ({ id, created_at }) as Operation;

Deno.test("list order: operations of one millisecond are ordered by the digits past it", () => {
  // Go writes RFC 3339 with trailing zeros trimmed: .61699 is .616990000.
  const ops = [
    at("d", "2026-12-01T03:29:02.616999936Z"),
    at("b", "2026-12-01T03:29:02.61699Z"),
    at("c", "2026-12-01T03:29:02.6169991Z"),
    at("a", "2026-12-01T03:29:02.616Z"),
    at("e", "2026-12-01T03:29:02.617Z"),
  ];
  assertEquals(sortOldestFirst({ running: ops }).map((op) => op.id), ["a", "b", "c", "d", "e"]);
});

Deno.test("list order: across status groups and offsets, by the instant", () => {
  const byStatus = {
    running: [at("late", "2026-12-01T03:29:03Z"), at("early", "2026-12-01T04:29:01+01:00")],
    success: [at("middle", "2026-12-01T03:29:02.5Z")],
  };
  assertEquals(sortOldestFirst(byStatus).map((op) => op.id), ["early", "middle", "late"]);
});

Deno.test("list order: one operation, or none, comes back as it is", () => {
  assertEquals(sortOldestFirst({}), []);
  const only = at("only", "not a time");
  assertEquals(sortOldestFirst({ running: [only] }), [only]);
});
