// deno-lint-ignore-file no-console -- a gate script: it reports on stdout/stderr
/**
 * The import-boundary check of the gates: every module of the package may
 * import only downward or inside its own layer (CONTRIBUTING.md, "Layers").
 *
 * It reads the module graph of every entry point in deno.json's `exports`
 * (and of any file under src/ that no entry point reaches) with
 * `deno info --json`, and fails naming each offending import as
 * `file:line imports target (rule)`.
 *
 * Run: `deno run --allow-read --allow-run .ci/layers.ts [--import-map <map>]`
 *
 * @module
 */

/** One layer: the files it holds and what they may import. */
interface Layer {
  /** Name shown in messages. */
  name: string;
  /** Whether a repository-relative path belongs to this layer. */
  holds: (path: string) => boolean;
  /** Whether a module of this layer may import `target` (repository-relative). */
  mayImport: (target: string) => boolean;
  /** Whether imports outside the repository other than `@std` (jsr:, npm:, node:) are allowed. */
  external: boolean;
  /** The rule, as printed when it is broken. */
  rule: string;
}

const under = (folder: string) => (path: string) => path.startsWith(folder);
const oneOf = (...paths: string[]) => (path: string) => paths.includes(path);
const either = (...tests: ((path: string) => boolean)[]) => (path: string) =>
  tests.some((test) => test(path));

const LAYERS: Layer[] = [
  {
    name: "core",
    holds: under("src/core/"),
    mayImport: under("src/core/"),
    external: false,
    rule: "src/core/ imports nothing outside src/core/",
  },
  {
    name: "incus",
    holds: under("src/incus/"),
    mayImport: either(under("src/core/"), under("src/incus/"), under("src/api/")),
    external: false,
    rule: "src/incus/ imports only src/core/, src/incus/ and src/api/",
  },
  {
    name: "api",
    holds: under("src/api/"),
    // Written only by .ci/api/generate.ts: the API descriptions as types and data.
    mayImport: () => false,
    external: false,
    rule: "src/api/ (generated) imports nothing",
  },
  {
    name: "google",
    holds: under("src/google/"),
    mayImport: either(under("src/core/"), under("src/google/")),
    external: false,
    rule: "src/google/ imports only src/core/ and src/google/",
  },
  {
    name: "cli",
    holds: under("src/cli/"),
    // The client's own modules, not mod.ts: a command loads only what it
    // runs (start-up time). deno.json: the version for --version; the
    // fake daemon through its public facade: the demo.
    mayImport: either(
      under("src/cli/"),
      under("src/incus/"),
      under("src/core/"),
      oneOf("deno.json", "src/testing/mod.ts"),
    ),
    external: true,
    rule: "src/cli/ imports only src/cli/, src/incus/, src/core/, deno.json and " +
      "src/testing/mod.ts (the demo); never src/google/ or the fakes' internals",
  },
  {
    name: "testing",
    holds: under("src/testing/"),
    // The fakes are servers: the clients' internals are not theirs to use,
    // the statuses and rpc codes come through the public facades, and the
    // bottom layer's helpers (bytes, pauses) are shared by everyone.
    mayImport: either(
      oneOf("mod.ts", "src/google/mod.ts"),
      under("src/core/"),
      under("src/testing/"),
    ),
    external: true,
    rule: "src/testing/ imports only the layers' public facades (mod.ts, src/google/mod.ts), " +
      "src/core/ and src/testing/",
  },
  {
    name: "mod.ts",
    holds: oneOf("mod.ts"),
    mayImport: either(under("src/core/"), under("src/incus/")),
    external: false,
    rule: "mod.ts re-exports src/incus/ and src/core/ only",
  },
];

interface Dependency {
  specifier: string;
  code?: { specifier: string; span: { start: { line: number } } };
  type?: { specifier: string; span: { start: { line: number } } };
}

interface ModuleInfo {
  specifier: string;
  dependencies?: Dependency[];
}

const root = new URL("../", import.meta.url);
const relative = (specifier: string) =>
  specifier.startsWith(root.href) ? specifier.slice(root.href.length) : undefined;

function importMapArgs(): string[] {
  const at = Deno.args.indexOf("--import-map");
  return at === -1 ? [] : ["--import-map", Deno.args[at + 1]];
}

async function graph(entry: string): Promise<ModuleInfo[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", ...importMapArgs(), entry],
    cwd: root,
    stderr: "inherit",
  }).output();
  if (!output.success) throw new Error(`deno info ${entry} failed`);
  return JSON.parse(new TextDecoder().decode(output.stdout)).modules;
}

async function sourceFiles(folder: string): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(new URL(folder, root))) {
    const path = `${folder}${entry.name}`;
    if (entry.isDirectory) files.push(...await sourceFiles(`${path}/`));
    else if (/\.tsx?$/.test(entry.name)) files.push(path);
  }
  return files;
}

/** Statements other than `export ... from "..."` in mod.ts. */
function nonReexports(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const rest = code.replace(/export\s+(type\s+)?(\*|\{[^}]*\})\s+from\s+"[^"]*";/g, "");
  return rest.split("\n").map((line) => line.trim()).filter((line) => line !== "");
}

const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
const entries: string[] = Object.values(config.exports as Record<string, string>)
  .map((path) => path.replace(/^\.\//, ""));
const modules = new Map<string, ModuleInfo>();
const pending = [...entries];
const reached = new Set<string>();
for (;;) {
  for (const entry of pending.splice(0)) {
    for (const module of await graph(entry)) {
      const path = relative(module.specifier);
      if (path !== undefined) modules.set(path, module);
    }
    for (const path of modules.keys()) reached.add(path);
  }
  // Files under src/ that no entry point imports are checked as roots too.
  const unreached = (await sourceFiles("src/")).filter((path) => !reached.has(path));
  if (unreached.length === 0) break;
  pending.push(unreached[0]);
}

const problems: string[] = [];
for (const [path, module] of [...modules].sort(([a], [b]) => a.localeCompare(b))) {
  if (path !== "mod.ts" && !path.startsWith("src/")) continue;
  const layer = LAYERS.find((candidate) => candidate.holds(path));
  if (layer === undefined) {
    problems.push(`${path}: in no layer (add it to a folder of .ci/layers.ts's table)`);
    continue;
  }
  for (const dependency of module.dependencies ?? []) {
    const uses = [dependency.code, dependency.type].filter((use) => use !== undefined);
    const lines = [...new Set(uses.map((use) => use.span.start.line + 1))];
    if (uses.length === 0) continue;
    const resolved = uses[0];
    const where = `${path}:${lines.join(",")}`;
    const target = relative(resolved.specifier);
    if (target === undefined) {
      // The standard library is allowed everywhere (loaded lazily where it is used).
      if (!layer.external && !/^(jsr:)?@std\//.test(dependency.specifier)) {
        problems.push(
          `${where} imports ${dependency.specifier} (no runtime dependency in ${layer.name})`,
        );
      }
    } else if (!layer.mayImport(target)) {
      problems.push(`${where} imports ${target} (${layer.rule})`);
    }
  }
}
const modSource = await Deno.readTextFile(new URL("mod.ts", root));
for (const statement of nonReexports(modSource)) {
  problems.push(`mod.ts: "${statement}" (mod.ts only re-exports)`);
}

if (problems.length > 0) {
  console.error(`import boundaries broken (${problems.length}):`);
  for (const problem of problems) console.error(`  ${problem}`);
  Deno.exit(1);
}
console.log(`import boundaries hold (${modules.size} modules from ${entries.length} entry points)`);
