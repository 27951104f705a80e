/**
 * The `incusops` commands that follow operations over time: wait (with
 * progress) and watch (events until Ctrl-C). Loaded only when used.
 *
 * @module
 */

import type { Operation } from "../incus/operation.ts";
import { parseProgress } from "../incus/progress.ts";
import { type ParsedArgs, parseDuration } from "./args.ts";
import { type CliIo, formatOf, ids, open, option } from "./context.ts";
import { ExitCode } from "./exit_codes.ts";
import { forDisplay, formatOperations, printable } from "./format.ts";
import { ProgressDisplay } from "./progress.ts";

/** `wait <id>...`: progress on stderr, then the final operations on stdout. */
export async function wait(args: ParsedArgs, io: CliIo): Promise<number> {
  const { remote, ids: wanted } = ids(args, "many");
  const timeoutText = option(args, "timeout");
  const timeout = timeoutText === undefined ? undefined : parseDuration(timeoutText);
  const quiet = args.options.has("quiet");
  const format = formatOf(args, "table");
  const display = new ProgressDisplay({
    write: io.stderr,
    terminal: io.terminal,
    escapes: !(io.noColor ?? Deno.noColor),
  });
  try {
    await using client = await open(io, remote, option(args, "project"));
    const label = (op: Operation) => op.id.slice(0, 8);
    const finals = await client.operations.waitAll(wanted, {
      timeout,
      onProgress: (progress, op) => display.progress(label(op), progress),
    });
    for (const op of finals) display.done(label(op), op.status);
    if (!quiet) {
      const shown = forDisplay(finals, { mask: !args.options.has("show-secrets") });
      io.stdout(await formatOperations(shown, format) + "\n");
    }
    return ExitCode.Ok;
  } finally {
    display.close();
  }
}

/** `watch`: one line per operation event until Ctrl-C (or `io.signal`). */
export async function watch(args: ParsedArgs, io: CliIo): Promise<number> {
  await using client = await open(io, option(args, "remote"), option(args, "project"));
  const controller = new AbortController();
  const stop = () => controller.abort();
  io.signal?.addEventListener("abort", stop, { once: true });
  const listening = io.signal === undefined; // else the caller's signal stops it
  if (listening) Deno.addSignalListener("SIGINT", stop);
  try {
    const stream = client.events({
      types: ["operation"],
      allProjects: args.options.has("all-projects"),
      signal: controller.signal,
    });
    await stream.opened;
    io.stderr("watching operations (Ctrl-C to stop)\n");
    for await (const event of stream) {
      const op = (event.metadata ?? {}) as Operation;
      const progress = parseProgress(op.metadata);
      const extra = progress?.percent !== undefined ? ` ${progress.percent}%` : "";
      const line = [event.timestamp, op.id, printable(op.status).padEnd(9), op.description];
      io.stdout(`${line.map(printable).join(" ")}${extra}\n`);
    }
    return ExitCode.Ok;
  } finally {
    if (listening) Deno.removeSignalListener("SIGINT", stop);
    io.signal?.removeEventListener("abort", stop);
  }
}
