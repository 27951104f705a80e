/**
 * `incusops list` on clusters and fleets: a LOCATION column on a cluster,
 * `--target <member>`, `--remote a,b,c` / `--all-remotes` across many
 * remotes (a REMOTE column), and partial lists: what was heard is printed,
 * the missing members or remotes are named on stderr, and the exit code is
 * 6 (`ExitCode.Partial`).
 *
 * @module
 */

import type { Client } from "../incus/client.ts";
import { MemberUnreachableError } from "../incus/errors.ts";
import type { Operation } from "../incus/operation.ts";
import { columnsFor, forDisplay, type Format, formatOperations, onCluster } from "./format.ts";
import { ExitCode } from "./exit_codes.ts";

/** What `list` prints with, and where. */
export interface ListPrinting {
  /** Output format. */
  format: Format;
  /** Keep only these lower-case statuses. */
  statuses?: string[];
  /** Print secrets in clear. */
  showSecrets: boolean;
  /** Operations of every project (a PROJECT column). */
  allProjects?: boolean;
  /** Standard output. */
  stdout(text: string): void;
  /** Standard error: one line, without its `incusops: ` and line feed (the caller escapes it). */
  stderr(line: string): void;
}

/** Prints the operations `printing` keeps, with a LOCATION (and a REMOTE) column when asked. */
async function print(
  ops: Operation[],
  printing: ListPrinting,
  columns: { location: boolean; remote?: boolean },
): Promise<void> {
  const kept = printing.statuses === undefined
    ? ops
    : ops.filter((op) => printing.statuses!.includes(String(op.status).toLowerCase()));
  const shown = forDisplay(kept, { mask: !printing.showSecrets });
  const all = columnsFor({ allProjects: printing.allProjects, ...columns });
  printing.stdout(await formatOperations(shown, printing.format, all) + "\n");
}

/**
 * Lists one remote's operations (a cluster's: with LOCATION); when members
 * could not be heard from, prints what was heard, names them on stderr and
 * returns {@linkcode ExitCode.Partial}.
 */
export async function listOne(
  client: Client,
  options: { allProjects: boolean; target?: string },
  printing: ListPrinting,
): Promise<number> {
  let ops: Operation[];
  let missing = "";
  try {
    ops = await client.operations.list(options);
  } catch (error) {
    if (!(error instanceof MemberUnreachableError)) throw error;
    ops = error.operations;
    missing = error.members.map((member) => `${member.name} (${member.address})`).join(", ");
  }
  await print(ops, printing, {
    location: onCluster(ops) || missing !== "" || options.target !== undefined,
  });
  if (missing === "") return 0;
  printing.stderr(
    `partial list: cluster member(s) ${missing} could not be heard from; ` +
      `their operations are missing`,
  );
  return ExitCode.Partial;
}

/** The remotes `--remote a,b,c` or `--all-remotes` name (image servers left out). */
export async function fleetRemotes(remote: string | undefined, all: boolean): Promise<string[]> {
  if (all) {
    const { loadConfig } = await import("../incus/transport/remote.ts");
    const config = await loadConfig();
    return Object.entries(config.remotes)
      .filter(([, entry]) => entry.protocol !== "simplestreams" && !entry.public)
      .map(([name]) => name);
  }
  return (remote ?? "").split(",").map((name) => name.trim()).filter(Boolean);
}

/**
 * Lists the operations of many remotes at once (bounded concurrency): one
 * table with REMOTE (and LOCATION when a cluster is among them); remotes
 * or members that could not be heard from are named on stderr, with the
 * reason, and the exit code is {@linkcode ExitCode.Partial}.
 */
export async function listMany(
  remotes: string[],
  options: { allProjects: boolean; target?: string; project?: string; timeout?: number },
  printing: ListPrinting,
): Promise<number> {
  const { listFleet } = await import("../incus/fleet.ts");
  const fleet = await listFleet(remotes, options);
  await print(fleet.operations, printing, { remote: true, location: onCluster(fleet.operations) });
  for (const outcome of fleet.outcomes) {
    if (outcome.ok) continue;
    const error = outcome.error;
    const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
    printing.stderr(`${outcome.remote}: not heard from: ${why}`);
  }
  return fleet.missing.length === 0 ? 0 : ExitCode.Partial;
}
