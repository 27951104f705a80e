/**
 * The exec table (tests/testing/_exec_cases.ts) on the fake daemon, both
 * flavors; the same table runs on the real daemons in
 * tests/integration/fake_parity_test.ts.
 */

import { connect } from "../../mod.ts";
import { FakeDaemon } from "../../src/testing/mod.ts";
import { assertConnectTimeout, EXEC_CASES } from "./_exec_cases.ts";

for (const flavor of ["incus", "lxd"] as const) {
  for (const { name, run } of EXEC_CASES) {
    Deno.test(`fake ${flavor}: ${name}`, async () => {
      await using daemon = await FakeDaemon.start({ flavor });
      await using client = connect({ socket: daemon.path });
      await run({
        flavor,
        client,
        instance: "c1",
        stoppedInstance: () => {
          daemon.setInstance({ name: "c2", status: "Stopped" });
          return Promise.resolve("c2");
        },
      });
    });
  }

  Deno.test(`fake ${flavor}: an exec whose websockets never connect fails`, async () => {
    await using daemon = await FakeDaemon.start({ flavor, websocketConnectMs: 50 });
    await using client = connect({ socket: daemon.path });
    await assertConnectTimeout({
      flavor,
      client,
      instance: "c1",
      stoppedInstance: () => Promise.reject(),
    });
  });
}
