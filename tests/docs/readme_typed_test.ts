/**
 * Issue 27's "done when", on README.md itself: a user script written from
 * the README alone (its main job, then what its API section says of typed
 * calls) type-checks with typed results, as a user would check it
 * (`deno check`, the published names); a typo'd path literal, an unknown
 * body field and `startOperation()` on a sync endpoint are type errors (an
 * unused `@ts-expect-error` fails the check), and a `string` path
 * compiles. The README block runs on both real daemons in
 * tests/integration/readme_test.ts.
 */

import { assert } from "@std/assert";
import { checkExamples, readmeBlocks } from "../_readme.ts";

/** What a user adds to the README's main job, knowing only the README (`client`, `name` from it). */
const USER_LINES = `
// Typed results: an Instance, an OperationHandle (not \`any\`: a wrong use is an error).
const instance = await client.query(\`/1.0/instances/\${name}\`);
const status: string = instance.status;
// @ts-expect-error typed, not any: status is a string
const wrong: number = instance.status;
const names: string[] = await client.query("/1.0/instances");
const started = await client.startOperation(\`/1.0/instances/\${name}/state\`, {
  method: "PUT",
  body: { action: "start" },
});
const final: { id: string; status: string } = await started.wait();
// @ts-expect-error a typo'd path literal
await client.query("/1.0/instancs");
// @ts-expect-error an unknown body field ("acton")
await client.query(state, { method: "PUT", body: { acton: "start" } });
// @ts-expect-error startOperation() on an endpoint answering synchronously
await client.startOperation("/1.0/profiles", { body: { name: "p1" } });
// A string path compiles, unchecked.
const path: string = "/1.0/some/newer/endpoint";
const raw: unknown = await client.query(path, { method: "PUT", body: { any: "thing" } });
console.log(status, wrong, names, final, raw);
`;

Deno.test("README.md: a script written from it alone type-checks with typed results; typos, unknown body fields and sync starts are type errors, a string path compiles", async () => {
  const blocks = await readmeBlocks();
  const main = blocks.find((block) =>
    block.file === "README.md" && block.marker === "real-daemon" &&
    block.code.includes("client.startOperation(")
  );
  if (main === undefined) throw new Error("README.md has no real-daemon block with the main job");
  assert(/const state = /.test(main.code) && /const name = /.test(main.code));
  await checkExamples([{ ...main, code: main.code + USER_LINES }]);
});
