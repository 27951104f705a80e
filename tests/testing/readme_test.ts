/**
 * Every ```ts block of README.md and docs/*.md runs as written against the
 * fake daemon (INCUS_SOCKET pointing at it; flavors incus and lxd), with
 * README's minimal permissions; its `// output` comments must hold. Blocks
 * marked `real-daemon` run on the real daemons instead
 * (tests/integration/readme_test.ts); see tests/_readme.ts.
 */

import { assert, assertEquals, assertThrows } from "@std/assert";
import { FakeDaemon } from "../../src/testing/mod.ts";
import {
  assertPromisedOutput,
  blockName,
  checkExamples,
  docFiles,
  promisedWords,
  readmeBlocks,
  ROOT_PATH,
  runExample,
  selfContained,
  socketPermissions,
} from "../_readme.ts";

const blocks = await readmeBlocks();

Deno.test("docs: README.md and every docs/ page are read; examples marked at most real-daemon, real-cluster or ignore", () => {
  const files = docFiles();
  assert(files.length >= 9 && files[0] === "README.md", `doc files: ${files.join(", ")}`);
  assert(blocks.length >= 8, `only ${blocks.length} ts blocks found`);
  for (const file of ["README.md", "docs/exec.md", "docs/fake-daemon.md", "docs/google.md"]) {
    assert(blocks.some((block) => block.file === file), `${file} has no example`);
  }
  for (const block of blocks) {
    assert(
      ["", "real-daemon", "real-cluster", "ignore"].includes(block.marker),
      `${blockName(block)}: unknown marker ${JSON.stringify(block.marker)}`,
    );
  }
});

Deno.test("docs: every example type-checks as written (the real-daemon and cluster ones too)", async () => {
  await checkExamples(blocks.filter((block) => block.marker !== "ignore"));
});

for (const block of blocks) {
  if (block.marker !== "") continue;
  if (selfContained(block)) {
    // It starts its own fakes: FakeLongRunning on loopback, FakeDaemon in a temp dir.
    Deno.test(`docs run on their own fakes: ${blockName(block)}`, async () => {
      const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
      const out = await runExample(block.code, [
        `--allow-read=${ROOT_PATH},${tmp}`,
        `--allow-write=${tmp}`,
        // Loopback, and the fake's socket in a new temp dir (not known in advance).
        "--allow-net",
      ]);
      assertPromisedOutput(block, out);
    });
    continue;
  }
  for (const flavor of ["incus", "lxd"] as const) {
    Deno.test(`docs run on the fake ${flavor}: ${blockName(block)}`, async () => {
      await using daemon = await FakeDaemon.start({ flavor });
      const out = await runExample(block.code, socketPermissions(daemon.path), {
        INCUS_SOCKET: daemon.path,
      });
      assertPromisedOutput(block, out);
    });
  }
}

Deno.test("docs runner: a // comment after console.log is a promise the output must keep", () => {
  const code = 'console.log(a, b); // 3 "Linux" oops\nconsole.log(x); // 0 "hello\\n" ...\n';
  assertEquals(promisedWords(code), ["3", "Linux", "oops", "0"]);
  const block = { file: "README.md", heading: "## T", line: 1, marker: "", code };
  assertPromisedOutput(block, "3 Linux oops\n0\n");
  assertThrows(() => assertPromisedOutput(block, "3 Linux\n0\n"), Error, "oops");
});
