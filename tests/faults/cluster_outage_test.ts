/**
 * Member outages on the real 3-member Incus cluster (tests/daemons/cluster.sh):
 * m3's incusd is SIGKILLed (its containers live on) while operations run
 * on every member. Through m1, a list names m3 and its address instead of
 * silently leaving its operations out (partial: true takes what was heard),
 * a wait on m3's operation rejects with MemberUnreachableError after its
 * member grace, and a wait pending while m3 restarts ends clearly
 * (OperationNotFoundError: the operation died with the member). Each test
 * restarts m3 and waits until m1 forwards to it again.
 */

import { assert, assertEquals, assertRejects } from "@std/assert";
import { MemberUnreachableError, OperationNotFoundError } from "../../mod.ts";
import { until } from "../_fake.ts";
import {
  CLUSTER,
  connectToMember,
  restartMember,
  startOn,
  whileKilled,
} from "../integration/_cluster.ts";

if (CLUSTER !== undefined) {
  const cluster = CLUSTER;
  const [m1, m2, m3] = cluster.members;

  Deno.test("8.51+8.52 cluster: a member killed -> list names it; a wait on its operation gets MemberUnreachableError after the grace", async () => {
    await using client = connectToMember(m1);
    const ops = await Promise.all(
      [m1, m2, m3].map((member) => startOn(client, member, ["sleep", "60"])),
    );
    await whileKilled(m3, client, async () => {
      // Incus lists a cluster by asking every member and skips one it fails to reach, live
      // or not (m1 logs "Failed getting operations from member"): on a loaded machine m2 can
      // be skipped for a moment, and nothing tells that from a member without operations.
      // So the lists that need m2's operation are repeated until it is heard (bounded).
      const heardFromM2 = { timeout: 20_000, interval: 200 };
      let error!: MemberUnreachableError;
      await until(async () => {
        error = await assertRejects(() => client.operations.list(), MemberUnreachableError);
        return error.operations.some((op) => op.id === ops[1].id);
      }, heardFromM2);
      // m3 is named with its address (on a loaded machine a slow member may be named too).
      const named = (members: { name: string; address: string }[]) =>
        members.find((member) => member.name === "m3");
      assertEquals(named(error.members), { name: "m3", address: m3.url });
      assert(error.message.includes(`m3 (${m3.url})`), error.message);
      const heard = error.operations.map((op: { id: string }) => op.id);
      assert(heard.includes(ops[0].id) && heard.includes(ops[1].id), heard.join());
      assert(!heard.includes(ops[2].id));
      assertEquals(error.ids, heard);
      await until(
        async () =>
          (await client.operations.list({ partial: true })).some((op) => op.id === ops[1].id),
        heardFromM2,
      );
      await assertRejects(() => client.operations.list({ recursion: 0 }), MemberUnreachableError);
      await assertRejects(() => client.operations.listByStatus(), MemberUnreachableError);
      // Only m2's operations: m3 does not matter.
      await until(
        async () =>
          (await client.operations.list({ target: "m2" })).some((op) => op.id === ops[1].id),
        heardFromM2,
      );
      const grouped = await client.operations.listByMember();
      assertEquals(named(grouped.unreachable), { name: "m3", address: m3.url });
      assert(
        !("m3" in grouped.members) && "m1" in grouped.members,
        Object.keys(grouped.members).join(),
      );

      const started = performance.now();
      const waited = await assertRejects(
        () => client.operations.wait(ops[2].id, { memberGraceMs: 2_000, timeout: 60_000 }),
        MemberUnreachableError,
      );
      assert(performance.now() - started >= 2_000, "not before the grace");
      assertEquals(waited.operationId, ops[2].id);
      assertEquals(named(waited.members), { name: "m3", address: m3.url });
      assert(waited.message.includes(`m3 (${m3.url})`), waited.message);
      assertEquals(waited.status, 500);
      // Meanwhile a wait on a live member's operation is not disturbed.
      const live = await startOn(client, m2, ["sleep", "0.3"]);
      assertEquals((await client.operations.wait(live.id, { timeout: 30_000 })).status, "Success");
    });
  });

  Deno.test("8.53 cluster: a member restarted under a pending wait -> the wait ends (OperationNotFoundError)", async () => {
    await using client = connectToMember(m1);
    const op = await startOn(client, m3, ["sleep", "120"]);
    const waiting = client.operations.wait(op.id, { timeout: 90_000 });
    waiting.catch(() => {});
    await whileKilled(m3, client, async () => {
      // The wait goes on through the outage (grace 60 s) ...
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await restartMember(m3, client);
      // ... and ends once m3 is back: its operations died with its incusd.
      const error = await assertRejects(() => waiting, OperationNotFoundError);
      assertEquals(error.id, op.id);
    });
  });
}
