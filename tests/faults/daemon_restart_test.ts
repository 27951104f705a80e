/**
 * A real daemon restarted under a pending wait: the wait ends with a clear
 * error or the final state, never hangs. Runs on throwaway daemons of its
 * own (tests/daemons/start.sh with another DAEMONS_ROOT), so the shared
 * ones are never disturbed.
 */

import { assert, assertInstanceOf } from "@std/assert";
import { connect, IncusError, type Operation } from "../../mod.ts";
import { DAEMONS } from "../integration/_daemons.ts";

const SCRIPTS = new URL("../daemons/", import.meta.url).pathname;

async function script(name: string, root: string, daemon: string): Promise<void> {
  const { code, stderr } = await new Deno.Command("bash", {
    args: [`${SCRIPTS}${name}`],
    // Only this root's daemons: never the shared ones the environment points at.
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      DAEMONS_ROOT: root,
      INCUSOPS_REAL_DAEMONS: daemon,
    },
    clearEnv: true,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(`${name} ${daemon} failed: ${new TextDecoder().decode(stderr).slice(-2000)}`);
  }
}

/** Kills the daemon's whole process group (a crash), as stop.sh would, but keeps its state. */
async function crash(root: string, daemon: string): Promise<void> {
  const pid = (await Deno.readTextFile(`${root}/${daemon}.pid`)).trim();
  await new Deno.Command("kill", { args: ["-KILL", "--", `-${pid}`] }).output();
  await Deno.remove(`${root}/${daemon}.pid`);
}

for (const { name } of DAEMONS) {
  Deno.test(`8.11 ${name}: a daemon restarted under a pending wait ends it clearly, never hangs; a GET across the restart is retried`, async () => {
    const root = await Deno.makeTempDir({ prefix: `incusops-restart-${name}-` });
    try {
      await script("start.sh", root, name);
      const socket = `${root}/${name}/unix.socket`;
      await using client = connect({ socket });
      const op = await client.query<Operation>("/1.0/instances/c1/exec", {
        method: "POST",
        body: { command: ["sleep", "600"], "wait-for-websocket": false },
      });
      const started = performance.now();
      const outcome = client.operations.wait(op.id, { timeout: 120_000 }).then(
        (final) => final,
        (error) => error,
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      await crash(root, name);
      // A GET while the daemon is down is retried (it answered before) until it is back.
      const listing = client.operations.list({ recursion: 0 }).then((ids) => ids, (e) => e);
      await script("start.sh", root, name); // the same state: a restart
      const result = await outcome;
      const took = performance.now() - started;
      const label = result instanceof Error ? `${result.name}: ${result.message}` : result.status;
      // deno-lint-ignore no-console -- the restart figure the README quotes
      console.log(
        `${name}: restarted under the wait; it ended after ${took.toFixed(0)} ms: ${label}`,
      );
      // The operation died with the daemon: not found (or a final state), never a hang.
      if (result instanceof Error) {
        assertInstanceOf(result, IncusError);
        assert(
          result.name === "OperationNotFoundError" || result.name === "ConnectionError",
          `${result.name}: ${result.message}`,
        );
        assert(result.message.includes(op.id) || result.message.includes(socket), result.message);
      } else {
        assert(["Success", "Failure", "Cancelled"].includes(result.status), result.status);
      }
      assert(took < 100_000, `the wait ended after ${took.toFixed(0)} ms`);
      const listed = await listing;
      assert(Array.isArray(listed), `the GET across the restart failed: ${listed}`);
    } finally {
      await script("stop.sh", root, name).catch(() => {});
      await Deno.remove(root, { recursive: true }).catch(() => {});
    }
  });
}
