/**
 * HTTPS failover on the real 3-member Incus cluster: a client given only
 * m1's URL learns m2 and m3 from /1.0/cluster/members; when m1's incusd is
 * SIGKILLed under pending waits on m2's and m3's operations, its requests
 * and its events connection move to a live member and the waits resolve.
 * Runs inside the cluster's network namespace (see _cluster.ts).
 */

import { assert, assertEquals, assertNotEquals, assertRejects } from "@std/assert";
import { connect, MemberUnreachableError } from "../../mod.ts";
import { CLUSTER, connectToMember, startOn, whileKilled } from "../integration/_cluster.ts";

if (CLUSTER !== undefined) {
  const cluster = CLUSTER;
  const [m1, m2, m3] = cluster.members;

  Deno.test("8.54 cluster: HTTPS failover: m1 killed under pending waits -> they resolve via m2/m3", async () => {
    await using client = connect({
      url: [m1.url],
      cert: cluster.cert,
      key: cluster.key,
      serverCert: cluster.serverCert,
    });
    await using local = connectToMember(m2);
    // Long enough to outlast the move (pending waits resolve ~7 s after the kill here): a shorter
    // operation can finish and be dropped by its server (~5 s later) before the waits read it.
    const ops = await Promise.all(
      [m2, m3].map((member) => startOn(client, member, ["sleep", "10"])),
    );
    const waits = client.operations.waitAll(ops, { timeout: 60_000 });
    waits.catch(() => {});
    // Subscribed and caught up: the waits are pending on m1's events connection.
    await client.operations.get(ops[0]);
    assertEquals(client.endpoint, new URL(m1.url).origin);
    await whileKilled(m1, local, async () => {
      const finals = await waits;
      assertEquals(finals.map((op) => op.status), ["Success", "Success"]);
      assertNotEquals(client.endpoint, new URL(m1.url).origin);
      assert([m2.url, m3.url].includes(client.endpoint), client.endpoint);
      // Through the new member, the list names the dead one.
      const error = await assertRejects(() => client.operations.list(), MemberUnreachableError);
      assertEquals(error.members.map((member: { name: string }) => member.name), ["m1"]);
      // New work goes to the new member too.
      const again = await startOn(client, m3, ["true"]);
      assertEquals((await client.operations.wait(again, { timeout: 30_000 })).status, "Success");
    });
  });
}
