/**
 * Every example of README.md and docs/*.md that talks to a daemon (every ```ts block but the
 * self-contained ones on their own fakes and those marked `ignore`), run
 * as written with the README's minimal permissions against each real
 * daemon; their `// output` comments must hold. Blocks marked
 * `real-daemon` run only here; the others also run on the fake daemon
 * (tests/testing/readme_test.ts).
 */

import {
  assertPromisedOutput,
  blockName,
  readmeBlocks,
  runExample,
  selfContained,
  socketPermissions,
} from "../_readme.ts";
import { DAEMONS } from "./_daemons.ts";

const blocks = (await readmeBlocks()).filter((block) =>
  block.marker !== "ignore" && block.marker !== "real-cluster" && !selfContained(block)
);

for (const daemon of DAEMONS) {
  for (const block of blocks) {
    Deno.test(`${daemon.name}: docs run as written, minimal permissions: ${blockName(block)}`, async () => {
      const out = await runExample(block.code, socketPermissions(daemon.socket), {
        INCUS_SOCKET: daemon.socket,
      });
      assertPromisedOutput(block, out);
    });
  }
}
