/**
 * `deno task demo`: a walk-through of the `incusops` command line that
 * needs no daemon. It starts the exported fake daemon, creates operations,
 * and runs `list`, a `wait` with a progress bar, a `cancel` and a `show`,
 * saying what each step does.
 *
 * @example
 * ```sh
 * deno task demo
 * ```
 *
 * @module
 */

import { FakeDaemon } from "../testing/mod.ts";
import { run, writeAll } from "./commands.ts";

const write = (file: typeof Deno.stdout) => (text: string) => writeAll(file, text);
/** Bold on a terminal, unless NO_COLOR: no escape codes otherwise. */
const bold = !Deno.noColor && Deno.stdout.isTerminal();
const say = (text: string) =>
  write(Deno.stdout)(bold ? `\n\x1b[1m# ${text}\x1b[0m\n` : `\n# ${text}\n`);

if (import.meta.main) {
  await using daemon = await FakeDaemon.start();
  const io = {
    stdout: write(Deno.stdout),
    stderr: write(Deno.stderr),
    terminal: Deno.stderr.isTerminal(),
    connect: { socket: daemon.path },
  };
  const cli = async (...args: string[]) => {
    write(Deno.stdout)(`$ incusops ${args.join(" ")}\n`);
    const code = await run(args, io);
    write(Deno.stdout)(`(exit code ${code})\n`);
  };

  say(`A fake Incus daemon listens on ${daemon.path}; it gets three operations.`);
  const image = daemon.createOperation({ description: "Downloading image", mayCancel: true });
  const create = daemon.createOperation({ description: "Creating instance" });
  daemon.createOperation({ description: "Executing command", durationMs: 60_000 });

  say("list: every operation, like `incus operation list`.");
  await cli("list");

  say("wait: follows the instance creation's progress until it succeeds.");
  let percent = 0;
  const ticker = setInterval(() => {
    percent = Math.min(100, percent + 20);
    daemon.update(create.id, {
      progress: {
        stage: "create_instance_from_image_unpack",
        percent: String(percent),
        speed: "48000000",
      },
    });
    if (percent === 100) {
      clearInterval(ticker);
      daemon.finish(create.id, { status: "Success" });
    }
  }, 250);
  await cli("wait", create.id, "--timeout", "30s");

  say("cancel: the image download may be cancelled; then it is Cancelled.");
  await cli("cancel", image.id);
  await cli("show", image.id, "--format", "yaml");

  say("wait on a cancelled operation exits 1; an unknown command exits 2.");
  await cli("wait", image.id);
  await cli("frobnicate");

  say("list --status running --format csv: what is left.");
  await cli("list", "--status", "running", "--format", "csv");
  say("Done. On a real daemon: deno task ops list (the socket is found like the incus CLI does).");
}
