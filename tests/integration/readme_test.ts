/**
 * The README's examples (quick start, exec), run as written with the
 * documented minimal permissions against each real daemon.
 */

import { assertEquals, assertStringIncludes } from "@std/assert";
import { ROOT_PATH, runReadmeExample } from "../_readme.ts";
import { DAEMONS } from "./_daemons.ts";

/** The README's minimal flags for a Unix socket (read on the checkout for imports). */
const minimal = (socket: string) => [
  "--allow-env",
  `--allow-read=${socket},${ROOT_PATH}`,
  `--allow-write=${socket}`,
  `--allow-net=unix:${socket},127.0.0.1:80`,
];

for (const daemon of DAEMONS) {
  const env = { INCUS_SOCKET: daemon.socket };

  Deno.test(`${daemon.name}: the README quick start works as written, with minimal permissions`, async () => {
    const out = await runReadmeExample("## Quick start", minimal(daemon.socket), env);
    assertStringIncludes(out, "Executing command");
    assertStringIncludes(out, "Success 0");
  });

  Deno.test(`${daemon.name}: the README exec example works as written, with minimal permissions`, async () => {
    const out = await runReadmeExample(
      "## Exec and operation websockets",
      minimal(daemon.socket),
      env,
    );
    assertEquals(out, "3 Linux oops\n6 0\n");
  });

  Deno.test(`${daemon.name}: the README waiting example works as written, with minimal permissions`, async () => {
    const out = await runReadmeExample(
      "## Waiting at scale: events, watch, waitAll",
      minimal(daemon.socket),
      env,
    );
    const lines = out.trim().split("\n");
    assertEquals(lines[0], "watch: Running");
    assertEquals(lines.at(-2), "watch: Success");
    assertEquals(lines.at(-1), "true Success,Success,Success");
  });
}
