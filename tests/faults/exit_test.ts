/**
 * Fault matrix 38: a script that forgets `close()`. After a list and a
 * wait over the shared events connection, nothing the client keeps (the
 * idle events connection, its timers, pooled connections) holds the
 * process: it exits once its own work is done. The child sets `idleMs` to
 * a minute, so a connection that kept it alive would show as a hang (the
 * bound below is only a hang guard); the measured figure is printed.
 */

import { assert, assertEquals } from "@std/assert";
import { FakeDaemon } from "../../src/testing/mod.ts";

const MOD = new URL("../../mod.ts", import.meta.url).href;
const MAP = decodeURIComponent(new URL("../../.ci/offline-imports.json", import.meta.url).pathname);

const SCRIPT = `
import { connect } from ${JSON.stringify(MOD)};
const [socket, id, idleMs] = Deno.args;
const client = connect({ socket, events: { idleMs: Number(idleMs) } });
await client.operations.list();
const final = await client.operations.wait(id);
console.log(JSON.stringify({ status: final.status, doneAt: Date.now() }));
// no client.close()
`;

for (const idleMs of [1_000, 60_000]) {
  Deno.test(`8.38 a script that forgets close() exits once its work is done (events idleMs ${idleMs})`, async () => {
    await using daemon = await FakeDaemon.start();
    const op = daemon.createOperation({ durationMs: 100 });
    const dir = await Deno.makeTempDir({ prefix: "incusops-exit-" });
    try {
      await Deno.writeTextFile(`${dir}/forgets_close.ts`, SCRIPT);
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--import-map",
          MAP,
          `${dir}/forgets_close.ts`,
          daemon.path,
          op.id,
          String(idleMs),
        ],
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      // A hang guard only: the figure is measured, not asserted.
      const guard = setTimeout(() => child.kill("SIGKILL"), 30_000);
      const { code, stdout, stderr } = await child.output();
      const exitedAt = Date.now();
      clearTimeout(guard);
      assertEquals(code, 0, new TextDecoder().decode(stderr));
      const result = JSON.parse(new TextDecoder().decode(stdout));
      assertEquals(result.status, "Success");
      assert(
        daemon.requests.some((request) => request.path === "/1.0/events"),
        "the wait used the events connection",
      );
      // deno-lint-ignore no-console -- the figure the README quotes
      console.log(`  exited ${exitedAt - result.doneAt} ms after its work was done`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
