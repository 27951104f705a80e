// deno-lint-ignore-file no-console -- a benchmark reports its figures on stdout
/**
 * Issue 5 benchmark: throughput of a 100 MB stdout stream through
 * `client.exec()` against the daemon's own CLI (`incus exec` / `lxc exec`)
 * piped to /dev/null, in interleaved rounds of the same run.
 *
 * `deno run -A --import-map .ci/offline-imports.json bench/exec_throughput.ts [--rounds=N] [--mb=N]`
 * with `INCUS_SOCKET`/`INCUS_DIR` and `LXD_SOCKET`/`LXD_DIR` from
 * `/tmp/incusops-daemons/env`. Reports the median per-round ratio
 * (library MB/s ÷ CLI MB/s; above 1.0 the library is faster).
 *
 * @module
 */

import { connect } from "../mod.ts";
import { type CliTarget, cliTargets } from "./_targets.ts";

const option = (name: string, fallback: number): number =>
  Number(Deno.args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
const ROUNDS = option("rounds", 5);
const BYTES = option("mb", 100) * 1024 * 1024;
const COMMAND = ["head", "-c", String(BYTES), "/dev/zero"];

const targets: CliTarget[] = cliTargets();

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** Seconds to stream the command's stdout through the library, counting bytes. */
async function viaLibrary(target: CliTarget): Promise<number> {
  await using client = connect({ socket: target.socket });
  const started = performance.now();
  const run = await client.exec("c1", COMMAND);
  let received = 0;
  for await (const chunk of run.stdout) received += chunk.byteLength;
  const { exitCode } = await run.status;
  const seconds = (performance.now() - started) / 1000;
  if (exitCode !== 0 || received !== BYTES) throw new Error(`library got ${received} bytes`);
  return seconds;
}

/** Seconds for the CLI to stream the same output to /dev/null. */
async function viaCli(target: CliTarget): Promise<number> {
  const started = performance.now();
  const { success } = await new Deno.Command(target.cli, {
    args: ["exec", "c1", "--", ...COMMAND],
    env: target.env,
    stdout: "null",
    stderr: "inherit",
  }).output();
  const seconds = (performance.now() - started) / 1000;
  if (!success) throw new Error(`${target.cli} exec failed`);
  return seconds;
}

const mb = BYTES / 1024 / 1024;
console.log(`exec stdout throughput, ${mb} MB, ${ROUNDS} interleaved rounds, medians\n`);
console.log("daemon | library MB/s | CLI MB/s | ratio library/CLI (median of rounds)");
console.log("-------|--------------|----------|-----------------------------------");
for (const target of targets) {
  await viaLibrary(target); // warm-up
  await viaCli(target);
  const library: number[] = [];
  const cli: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 ? [viaCli, viaLibrary] : [viaLibrary, viaCli];
    const times = new Map<unknown, number>();
    for (const contender of order) times.set(contender, await contender(target));
    library.push(mb / times.get(viaLibrary)!);
    cli.push(mb / times.get(viaCli)!);
    ratios.push(times.get(viaCli)! / times.get(viaLibrary)!);
  }
  console.log(
    `${target.name.padEnd(6)} | ${median(library).toFixed(0).padStart(12)} | ` +
      `${median(cli).toFixed(0).padStart(8)} | ${median(ratios).toFixed(2)}×`,
  );
}
