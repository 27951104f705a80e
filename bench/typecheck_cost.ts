// deno-lint-ignore-file no-console -- a benchmark reports its figures on stdout
/**
 * What typed calls cost a user's `deno check` (issue 27): the same script
 * (docs/typed-api.md's main job: create from an image, wait with progress,
 * start, exec, snapshot, stop, delete) type-checked with typed calls (path
 * literals) and untyped (the same paths as `string`), and a script of 60
 * typed calls over 30 endpoints to show the lookup does not crawl. With
 * `--baseline=<checkout>` (the package before typed calls), the untyped
 * script is also checked against that checkout.
 *
 * Each run is a fresh `deno check` process whose script differs by a
 * comment (no type-check cache hit); rounds interleave the variants, and
 * each starts once the CPUs are idle. Wall time and CPU time (user + sys,
 * from /usr/bin/time) are reported as medians with interquartile ranges.
 *
 * `deno task bench:typecheck [--rounds=N] [--baseline=DIR]`
 *
 * @module
 */

import { type Spread, spread } from "./_stats.ts";
import { waitForIdleCpus } from "./_idle.ts";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);
const rounds = Number(Deno.args.find((a) => a.startsWith("--rounds="))?.slice(9) ?? 7);
const baseline = Deno.args.find((a) => a.startsWith("--baseline="))?.slice(11);

/** The main job with typed calls; `as string` added to each path makes it untyped. */
const TYPED = `import { connect } from "@incusops/operations";

await using client = connect();
const name = \`typed-\${crypto.randomUUID().slice(0, 8)}\`;
const create = await client.startOperation("/1.0/instances", {
  body: { name, source: { type: "image", alias: "busybox" } },
});
await create.wait({ onProgress: (p) => console.log(p.stage, p.percent) });
const state = \`/1.0/instances/\${name}/state\` as const;
await client.query(state, { method: "PUT", body: { action: "start" }, wait: true });
const { stdoutText } = await client.execRecorded(name, ["echo", "hello"]);
await client.query(\`/1.0/instances/\${name}/snapshots\`, {
  method: "POST", body: { name: "snap0" }, wait: true,
});
await client.query(state, { method: "PUT", body: { action: "stop", force: true }, wait: true });
await client.query(\`/1.0/instances/\${name}\`, { method: "DELETE", wait: true });
const info = await client.query(\`/1.0/instances/\${name}/state\`).catch(() => undefined);
console.log(stdoutText, info);
`;

const UNTYPED = TYPED
  .replace(`startOperation("/1.0/instances"`, `startOperation("/1.0/instances" as string`)
  .replace("/state` as const;", "/state` as string;")
  .replaceAll(/query\(`([^`]*)`/g, "query(`$1` as string");

/** 60 typed GETs over 30 documented endpoints, each result used. */
function manyCalls(): string {
  const paths = [
    "/1.0",
    "/1.0/instances",
    "/1.0/instances?recursion=1",
    "/1.0/instances?recursion=2",
    "/1.0/instances/${n}",
    "/1.0/instances/${n}/state",
    "/1.0/instances/${n}/snapshots",
    "/1.0/instances/${n}/snapshots?recursion=1",
    "/1.0/instances/${n}/snapshots/${n}",
    "/1.0/instances/${n}/backups?recursion=1",
    "/1.0/instances/${n}/logs",
    "/1.0/images?recursion=1",
    "/1.0/images/${n}",
    "/1.0/images/aliases?recursion=1",
    "/1.0/images/aliases/${n}",
    "/1.0/networks?recursion=1",
    "/1.0/networks/${n}",
    "/1.0/networks/${n}/state",
    "/1.0/profiles?recursion=1",
    "/1.0/profiles/${n}",
    "/1.0/projects?recursion=1",
    "/1.0/projects/${n}/state",
    "/1.0/storage-pools?recursion=1",
    "/1.0/storage-pools/${n}",
    "/1.0/storage-pools/${n}/volumes?recursion=1",
    "/1.0/storage-pools/${n}/volumes/${n}/${n}",
    "/1.0/operations?recursion=1",
    "/1.0/operations/${n}",
    "/1.0/certificates?recursion=1",
    "/1.0/resources",
  ];
  const calls = [...paths, ...paths].map((path, i) =>
    `const r${i} = await client.query(\`${path}\`${i % 2 ? ", { project: n }" : ""});\n` +
    `console.log(r${i});`
  );
  return `import { connect } from "@incusops/operations";\n` +
    `await using client = connect();\nconst n = Deno.args[0] ?? "c1";\n${calls.join("\n")}\n`;
}

/** An import map resolving the package to `root` and std offline. */
async function importMap(root: string, dir: string, name: string): Promise<string> {
  const offline = JSON.parse(await Deno.readTextFile(`${root}/.ci/offline-imports.json`));
  const exports = JSON.parse(await Deno.readTextFile(`${root}/deno.json`)).exports;
  for (const [key, file] of Object.entries(exports as Record<string, string>)) {
    offline.imports[`@incusops/operations${key.slice(1)}`] = `${root}/${file.slice(2)}`;
  }
  const path = `${dir}/${name}.json`;
  await Deno.writeTextFile(path, JSON.stringify(offline));
  return path;
}

interface Variant {
  name: string;
  code: string;
  map: string;
  wall: number[];
  cpu: number[];
}

/** One `deno check` of `variant`'s script, made unique; records wall and CPU seconds. */
async function check(variant: Variant, dir: string, run: number): Promise<void> {
  const script = `${dir}/${variant.name.replaceAll(/\W+/g, "_")}_${run}.ts`;
  await Deno.writeTextFile(script, `${variant.code}// run ${run} ${crypto.randomUUID()}\n`);
  const output = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "%e %U %S", Deno.execPath(), "check", "--quiet", "--no-config"]
      .concat(["--import-map", variant.map, script]),
    stdout: "null",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr).trim().split("\n");
  if (!output.success) {
    throw new Error(`${variant.name} does not type-check:\n${stderr.join("\n")}`);
  }
  const [wall, user, sys] = stderr.at(-1)!.split(" ").map(Number);
  variant.wall.push(wall);
  variant.cpu.push(user + sys);
}

const seconds = (s: Spread) => `${s.median.toFixed(2)} s [${s.q1.toFixed(2)}–${s.q3.toFixed(2)}]`;

const dir = await Deno.makeTempDir({ prefix: "incusops-typecheck-" });
try {
  const here = await importMap(ROOT, dir, "here");
  const variants: Variant[] = [
    { name: "main job, typed calls", code: TYPED, map: here, wall: [], cpu: [] },
    { name: "main job, untyped (string paths)", code: UNTYPED, map: here, wall: [], cpu: [] },
    { name: "60 typed GETs", code: manyCalls(), map: here, wall: [], cpu: [] },
  ];
  if (baseline !== undefined) {
    const map = await importMap(baseline, dir, "baseline");
    variants.push({ name: "main job, untyped, baseline", code: UNTYPED, map, wall: [], cpu: [] });
  }
  let busyRounds = 0;
  for (let round = 0; round < rounds; round++) {
    for (const variant of round % 2 ? [...variants].reverse() : variants) {
      if (!(await waitForIdleCpus({ maxWaitMs: 5_000 })).idle) busyRounds++;
      await check(variant, dir, round);
    }
  }
  console.log(`deno check, ${rounds} rounds (${busyRounds} runs started on busy CPUs)`);
  console.log(`deno ${Deno.version.deno}, TypeScript ${Deno.version.typescript}`);
  for (const variant of variants) {
    console.log(
      `${variant.name.padEnd(36)} wall ${seconds(spread(variant.wall))}  ` +
        `cpu ${seconds(spread(variant.cpu))}`,
    );
  }
  const [typed, untyped] = variants;
  const extra = (a: number[], b: number[]) => spread(a.map((value, i) => value - b[i]));
  console.log(
    `typed − untyped, per round: wall ${seconds(extra(typed.wall, untyped.wall))}, ` +
      `cpu ${seconds(extra(typed.cpu, untyped.cpu))} (goal ≤ 1.5 s)`,
  );
} finally {
  await Deno.remove(dir, { recursive: true });
}
