// deno-lint-ignore-file no-console -- a benchmark reports its figures on stdout
/**
 * Issue 17 item 7: the config reader on hostile input. Times @std/yaml (the
 * parser `loadConfig` uses) on an 80 KB white-space line and on 8 MB of
 * nesting (deep, and 200 levels repeated), and what `loadConfig` does with
 * each as a `config.yml` (the 256 KiB cap refuses the 8 MB files before
 * parsing). The hand-written reader it replaced took 15.7 s, 47 s and 4.1 s.
 *
 * `deno task bench:config`
 *
 * @module
 */

import { parse } from "@std/yaml/parse";
import { loadConfig } from "../src/incus/transport/remote.ts";

const whitespace = `remotes:\n  a:${" ".repeat(80_000)}x\n`;
let deep = "";
for (let depth = 0; deep.length < 8_000_000; depth++) deep += `${" ".repeat(depth)}k:\n`;
let repeated = "";
for (let line = 0; repeated.length < 8_000_000; line++) {
  repeated += `${"  ".repeat(line % 200)}k${line}:\n`;
}

const dir = await Deno.makeTempDir({ prefix: "incusops-bench-config-" });
try {
  for (
    const [name, text] of [
      ["80 KB white-space line", whitespace],
      ["8 MB nested (deep)", deep],
      ["8 MB nested (200 levels, repeated)", repeated],
    ] as const
  ) {
    const started = performance.now();
    let parsed = "parsed";
    try {
      parse(text, { schema: "failsafe" });
    } catch (error) {
      parsed = error instanceof Error ? error.name : String(error);
    }
    const parseMs = performance.now() - started;
    await Deno.writeTextFile(`${dir}/config.yml`, text);
    const loadStarted = performance.now();
    let loaded = "loaded";
    try {
      await loadConfig([dir]);
    } catch (error) {
      loaded = error instanceof Error ? error.message.replace(`${dir}/`, "") : String(error);
    }
    const loadMs = performance.now() - loadStarted;
    console.log(
      `${name} (${text.length} characters): @std/yaml ${parseMs.toFixed(0)} ms (${parsed}); ` +
        `loadConfig ${loadMs.toFixed(1)} ms: ${loaded}`,
    );
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
