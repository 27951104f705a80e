// deno-lint-ignore-file no-console -- a benchmark reports its figures on stdout
/**
 * Issue 6 benchmark: wall time of `incusops list` against `incus operation
 * list` (and `lxc operation list` on LXD), as processes, in interleaved
 * rounds of the same run; medians and their ratio (≤ 2× is the goal).
 * A compiled binary (`deno compile`) would need the denort runtime from
 * dl.deno.land, unreachable here: the report says so instead of a figure.
 * For comparison only, the same CLI bundled by `deno bundle
 * --code-splitting` (one chunk per lazily loaded command; not what users
 * run: the package ships the sources).
 *
 * `deno task bench:cli [--rounds=N]` with /tmp/incusops-daemons/env sourced.
 *
 * @module
 */

import { bundleCli, type CliTarget, cliTargets, compileCli } from "./_targets.ts";

const ROUNDS = Number(Deno.args.find((a) => a.startsWith("--rounds="))?.split("=")[1] ?? 15);
const ROOT = new URL("..", import.meta.url).pathname;

const targets: CliTarget[] = cliTargets();

/** What a child needs from this environment to find deno's cache and its tools. */
function inherited(): Record<string, string> {
  return Object.fromEntries(
    ["PATH", "HOME", "DENO_DIR"].flatMap((name) => {
      const value = Deno.env.get(name);
      return value === undefined ? [] : [[name, value]];
    }),
  );
}

async function time(
  command: string,
  args: string[],
  env: Record<string, string>,
  clearEnv = false,
  mayFail = false,
) {
  const started = performance.now();
  const { success, stderr } = await new Deno.Command(command, {
    args,
    env,
    clearEnv,
    stdout: "null",
    stderr: "piped",
  })
    .output();
  if (!success && !mayFail) {
    throw new Error(`${command} ${args.join(" ")}: ${new TextDecoder().decode(stderr)}`);
  }
  return performance.now() - started;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];

const compile = await compileCli("/tmp/incusops-bench-bin");
const compiled = compile.success ? "/tmp/incusops-bench-bin" : undefined;
const BUNDLE = "/tmp/incusops-bench-bundle";
const bundled = (await bundleCli(BUNDLE)).success ? `${BUNDLE}/main.js` : undefined;

console.log(
  `list wall time, ${ROUNDS} interleaved rounds, medians (${
    new Date().toISOString().slice(0, 10)
  }, deno ${Deno.version.deno})\n`,
);
for (const target of targets) {
  const ours: number[] = [];
  const theirs: number[] = [];
  const binary: number[] = [];
  const bundle: number[] = [];
  const floor: number[] = [];
  const loadOnly: number[] = [];
  const versionOnly: number[] = [];
  // Exactly this socket: the runner's LXD_SOCKET & co. would make the choice ambiguous.
  const env = { ...inherited(), INCUS_SOCKET: target.socket };
  const ourArgs = [
    "run",
    "-A",
    "--import-map",
    `${ROOT}.ci/offline-imports.json`,
    `${ROOT}src/cli/main.ts`,
    "list",
  ];
  // The parts: Deno's own start (an empty script) and loading the CLI without a request.
  const emptyArgs = ["run", "--no-config", "data:application/javascript,"];
  // list with a missing socket: every module of list loaded, refused before any request.
  const noSocket = { ...env, INCUS_SOCKET: "/nonexistent/unix.socket" };
  await time(Deno.execPath(), ourArgs, env, true); // warm the module cache
  for (let round = 0; round < ROUNDS; round++) {
    const runs = [
      async () => ours.push(await time(Deno.execPath(), ourArgs, env, true)),
      async () => theirs.push(await time(target.cli, ["operation", "list"], target.env)),
      async () => compiled && binary.push(await time(compiled, ["list"], env)),
      async () =>
        bundled &&
        bundle.push(
          await time(Deno.execPath(), ["run", "-A", "--no-config", bundled, "list"], env, true),
        ),
      async () => floor.push(await time(Deno.execPath(), emptyArgs, env, true)),
      async () => loadOnly.push(await time(Deno.execPath(), ourArgs, noSocket, true, true)),
      async () =>
        versionOnly.push(
          await time(Deno.execPath(), [...ourArgs.slice(0, -1), "--version"], env, true),
        ),
    ];
    for (const runOne of round % 2 ? runs.reverse() : runs) await runOne();
  }
  const ratio = median(ours) / median(theirs);
  console.log(
    `${target.name}: incusops (deno run) ${
      median(ours).toFixed(0)
    } ms, ${target.cli} operation list ` +
      `${median(theirs).toFixed(0)} ms → ${ratio.toFixed(2)}× (goal ≤ 2×)` +
      (compiled ? `; compiled ${median(binary).toFixed(0)} ms` : "") +
      (bundled
        ? `; bundled (deno bundle --code-splitting) ${median(bundle).toFixed(0)} ms → ${
          (median(bundle) / median(theirs)).toFixed(2)
        }×`
        : ""),
  );
  console.log(
    `  of which: deno run of an empty script ${median(floor).toFixed(0)} ms, ` +
      `incusops list refused before its request (every module loaded) ${
        median(loadOnly).toFixed(0)
      } ms, so its requests ${(median(ours) - median(loadOnly)).toFixed(0)} ms; ` +
      `incusops --version ${median(versionOnly).toFixed(0)} ms`,
  );
}
if (!compiled) {
  console.log(
    "\ncompiled binary: not measured, deno compile could not fetch its runtime (denort) " +
      "from dl.deno.land, which this machine cannot reach",
  );
}
