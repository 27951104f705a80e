/**
 * The `incusops` commands that make one request: list, show, cancel
 * (and delete), query.
 *
 * @module
 */

import { fleetRemotes, listMany, listOne } from "./fleet.ts";
import { type ParsedArgs, parseDuration, UsageError } from "./args.ts";
import { type CliIo, formatOf, ids, open, option, statusesOf, target } from "./context.ts";
import { ExitCode } from "./exit_codes.ts";
import { parseJson } from "../core/body.ts";
import { forDisplay, printable, toJson, toYaml } from "./format.ts";

/** `list`: the operations, as a table or as data. */
export async function list(args: ParsedArgs, io: CliIo): Promise<number> {
  const format = formatOf(args, "table");
  const statuses = statusesOf(args);
  const allProjects = args.options.has("all-projects");
  const printing = {
    format,
    statuses,
    showSecrets: args.options.has("show-secrets"),
    allProjects,
    stdout: io.stdout,
    stderr: (line: string) => io.stderr(`incusops: ${printable(line)}\n`),
  };
  const scope = { allProjects, target: option(args, "target") };
  const [given, ...extra] = args.positional; // `list <remote>:`, as `incus operation list`
  const remote = given === undefined ? option(args, "remote") : /^([^:]+):$/.exec(given)?.[1];
  if (given !== undefined && (remote === undefined || extra.length || args.options.has("remote"))) {
    throw new UsageError("list takes one remote, <remote>: or --remote: incusops list [<remote>:]");
  }
  // Clusters (LOCATION, --target, partial lists) and fleets: ./fleet.ts.
  const remotes = await fleetRemotes(remote, args.options.has("all-remotes"));
  const project = option(args, "project");
  const limit = option(args, "remote-timeout"); // each remote's (listFleet's timeout)
  const timeout = limit === undefined ? undefined : parseDuration(limit);
  if (remotes.length > 1 || args.options.has("all-remotes")) {
    return await listMany(remotes, { ...scope, project, timeout }, printing);
  }
  if (limit) throw new UsageError("--remote-timeout is for --remote a,b,c or --all-remotes");
  await using client = await open(io, remote, project);
  return await listOne(client, scope, printing);
}

/** `show <id>`: one operation, as yaml or json. */
export async function show(args: ParsedArgs, io: CliIo): Promise<number> {
  const { remote, ids: [id] } = ids(args, "one");
  const format = formatOf(args, "yaml");
  if (format !== "yaml" && format !== "json") {
    throw new UsageError(
      `show prints yaml or json, not ${format}: incusops show <id> --format json`,
    );
  }
  await using client = await open(io, remote, option(args, "project"));
  const op = forDisplay(await client.operations.get(id), {
    mask: !args.options.has("show-secrets"),
  });
  io.stdout((format === "json" ? toJson(op) : await toYaml(op)) + "\n");
  return ExitCode.Ok;
}

/** `cancel <id>` (and `delete <id>`). */
export async function cancel(args: ParsedArgs, io: CliIo): Promise<number> {
  const { remote, ids: [id] } = ids(args, "one");
  await using client = await open(io, remote, option(args, "project"));
  await client.operations.cancel(id);
  io.stdout(`${id}: cancel requested\n`);
  return ExitCode.Ok;
}

/** `query <path>`: any endpoint, the JSON answer. */
export async function query(args: ParsedArgs, io: CliIo): Promise<number> {
  if (args.positional.length !== 1) {
    throw new UsageError("query needs one API path: incusops query [-X METHOD] [-d JSON] /1.0/...");
  }
  const { remote, id: path } = target(args, args.positional[0]);
  const method = (option(args, "request") ?? "GET").toUpperCase();
  if (!["GET", "POST", "PUT", "PATCH", "DELETE"].includes(method)) {
    throw new UsageError(`unknown method ${method} (GET, POST, PUT, PATCH, DELETE)`);
  }
  const data = option(args, "data");
  const body = data === undefined ? undefined : parseJson(data);
  if (data !== undefined && body === undefined) {
    throw new UsageError(`-d must be JSON, got ${JSON.stringify(data.slice(0, 40))}`);
  }
  await using client = await open(io, remote, option(args, "project"));
  const wait = args.options.has("wait");
  const result = await client.query(path, { method: method as "GET", body, wait });
  io.stdout(toJson(forDisplay(result, { mask: !args.options.has("show-secrets") })) + "\n");
  return ExitCode.Ok;
}
