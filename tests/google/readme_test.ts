/**
 * The `./google` example of docs/google.md, run as written against the
 * fake google.longrunning service, with only loopback network permission.
 */

import { assertStringIncludes } from "@std/assert";

import { ROOT_PATH, runReadmeExample } from "../_readme.ts";

Deno.test("docs/google.md: the ./google example works as written (fake service, --allow-net=127.0.0.1)", async () => {
  const out = await runReadmeExample("Google long-running operations", [
    `--allow-read=${ROOT_PATH}`,
    "--allow-net=127.0.0.1",
  ]);
  assertStringIncludes(out, "running: operations/op-1");
  assertStringIncludes(out, "running: operations/op-2");
  assertStringIncludes(out, "built: 7");
  assertStringIncludes(out, "cancelled: operations/op-2");
});
