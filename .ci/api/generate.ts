// deno-lint-ignore-file no-console -- a generator reports on stdout/stderr
/**
 * The API generator: reads the daemons' REST API descriptions (Swagger 2.0,
 * in this folder) and .ci/api/overrides.yaml, and writes one TypeScript module
 * per daemon (`src/api/<daemon>.ts`: the types the client is typed by) and
 * its runtime schema table (`src/api/<daemon>_schema.ts`: for the
 * conformance tests). Only this script writes `src/api/`.
 *
 * Usage: `deno task gen:api` (write), `deno task gen:api --check` (the gate:
 * fail naming each generated file that differs from what would be written,
 * or a description whose sha256 is not the one .ci/api/README.md records).
 *
 * @module
 */

import { parse } from "@std/yaml/parse";
import { applyOverrides, type Description, endpointsOf, type Override } from "./_swagger.ts";
import { type ApiInfo, schemaModule, typesModule } from "./_emit.ts";

interface Target extends ApiInfo {
  /** The overrides' `api` key and the file stem: `incus-6.0`. */
  name: string;
  /** The module written, e.g. `src/api/incus_6_0.ts` (and `..._schema.ts`). */
  module: string;
  /** The description's sha256, as .ci/api/README.md records it. */
  sha256: string;
}

const TARGETS: Target[] = [
  {
    name: "incus-6.0",
    daemon: "Incus 6.0",
    source: "Incus 6.0.4, lxc/incus doc/rest-api.yaml at v6.0.4",
    file: ".ci/api/incus-6.0.4-rest-api.yaml",
    specifier: "@incusops/operations/api/incus-6.0",
    module: "src/api/incus_6_0.ts",
    sha256: "8bc620c59016451a0c7f2d312ab9a2612aa294b31fbf77edcc64aeafdeb58ba3",
  },
  {
    name: "lxd-5.0",
    daemon: "LXD 5.0",
    source: "LXD 5.0.2, canonical/lxd doc/rest-api.yaml at lxd-5.0.2",
    file: ".ci/api/lxd-5.0.2-rest-api.yaml",
    specifier: "@incusops/operations/api/lxd-5.0",
    module: "src/api/lxd_5_0.ts",
    sha256: "795a285d5797a7d8e80650e07e981ff0882c134119f1c3051ed0d61a10af6d76",
  },
];

const root = new URL("../../", import.meta.url);
const read = (path: string) => Deno.readTextFile(new URL(path, root));

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** `deno fmt` of a TypeScript text, with the repository's settings. */
async function format(text: string): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext=ts", "--line-width=100", "-"],
    cwd: root,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const output = await child.output();
  if (!output.success) throw new Error("deno fmt failed on the generated text");
  return new TextDecoder().decode(output.stdout);
}

/** The files one target generates, by path. */
async function generate(target: Target, overrides: Override[]): Promise<Map<string, string>> {
  const text = await read(target.file);
  const digest = await sha256(text);
  if (digest !== target.sha256) {
    throw new Error(
      `${target.file}: sha256 ${digest}, expected ${target.sha256} (.ci/api/README.md)`,
    );
  }
  const description = parse(text) as Description;
  const endpoints = endpointsOf(description);
  const own = overrides.filter((o) => [o.api].flat().includes(target.name));
  applyOverrides(description, endpoints, own);
  const schemaPath = target.module.replace(/\.ts$/, "_schema.ts");
  return new Map([
    [target.module, await format(typesModule(target, description, endpoints))],
    [schemaPath, await format(schemaModule(target, description, endpoints))],
  ]);
}

const check = Deno.args.includes("--check");
const overrides = (parse(await read(".ci/api/overrides.yaml")) ?? []) as Override[];
const unknownApi = overrides.find((o) =>
  [o.api].flat().some((api) => !TARGETS.some((target) => target.name === api))
);
if (unknownApi !== undefined) throw new Error(`override ${unknownApi.at}: unknown api`);
const stale: string[] = [];
for (const target of TARGETS) {
  for (const [path, text] of await generate(target, overrides)) {
    const current = await read(path).catch(() => undefined);
    if (current === text) continue;
    if (check) stale.push(path);
    else await Deno.writeTextFile(new URL(path, root), text);
    if (!check) console.log(`wrote ${path}`);
  }
}
if (stale.length > 0) {
  console.error(`generated files differ from api/ (run deno task gen:api): ${stale.join(", ")}`);
  Deno.exit(1);
}
console.log(check ? "generated API modules: up to date" : "generated API modules: done");
