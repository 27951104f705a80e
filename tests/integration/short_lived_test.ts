/**
 * `connect({ shortLived: true })` on the real daemons: requests on
 * connections of their own, without fetch, read the daemons' real
 * answers (declared lengths and chunked lists) as the pooled client does,
 * with the same errors (an error envelope, `maxResponseBytes`).
 */

import { assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { IncusError, type Operation, ProtocolError } from "../../mod.ts";
import { connectTo, DAEMONS, startSleep } from "./_daemons.ts";

for (const daemon of DAEMONS) {
  Deno.test(`${daemon.name}: a short-lived client answers as the pooled one`, async () => {
    await using client = connectTo(daemon, undefined, { shortLived: true });
    await using pooled = connectTo(daemon);
    const server = await client.query<{ api_version: string }>("/1.0");
    assertEquals(
      server.api_version,
      (await pooled.query<{ api_version: string }>("/1.0")).api_version,
    );
    const op = await startSleep(client, daemon, 1);
    const ids = (ops: Operation[]) => ops.map((listed) => listed.id).sort();
    assertEquals(ids(await client.operations.list()), ids(await pooled.operations.list()));
    assertEquals((await client.operations.get(op.id)).id, op.id);
    assertEquals((await client.operations.wait(op.id)).status, "Success");
    const missing = await assertRejects(() => client.query("/1.0/nothing-here"), IncusError);
    assertEquals([missing.status, missing.path], [404, "/1.0/nothing-here"]);
  });

  Deno.test(`${daemon.name}: a short-lived client refuses an answer over maxResponseBytes`, async () => {
    await using client = connectTo(daemon, undefined, { shortLived: true, maxResponseBytes: 512 });
    const error = await assertRejects(() => client.query("/1.0"), ProtocolError);
    assertStringIncludes(error.message, "over the 512-byte limit");
    assertEquals(error.status, 200);
  });
}
