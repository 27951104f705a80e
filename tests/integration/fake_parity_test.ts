/**
 * The exec table the fake daemon passes (tests/testing/_exec_cases.ts),
 * with the same assertions on the real Incus and LXD daemons: the fake
 * answers what they answer.
 */

import { assertConnectTimeout, EXEC_CASES, type ExecTarget } from "../testing/_exec_cases.ts";
import { connectTo, createInstance, DAEMONS, uniqueName } from "./_daemons.ts";
import type { Client } from "../../mod.ts";

for (const daemon of DAEMONS) {
  const target = (client: Client, made: string[]): ExecTarget => ({
    flavor: daemon.name,
    client,
    instance: daemon.instance,
    async stoppedInstance() {
      const name = uniqueName("stopped");
      await createInstance(client, daemon, name);
      made.push(name);
      return name;
    },
  });

  for (const { name, run } of EXEC_CASES) {
    Deno.test(`${daemon.name}: ${name}`, async () => {
      await using client = connectTo(daemon);
      const made: string[] = [];
      try {
        await run(target(client, made));
      } finally {
        for (const instance of made) {
          await client.query(`/1.0/instances/${instance}`, { method: "DELETE", wait: true });
        }
      }
    });
  }

  Deno.test(`${daemon.name}: an exec whose websockets never connect fails`, async () => {
    await using client = connectTo(daemon);
    await assertConnectTimeout(target(client, []));
  });
}
