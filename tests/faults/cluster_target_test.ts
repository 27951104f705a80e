/**
 * A cluster `target` that names no member (issue 26 §6) is refused with
 * the members' names, in the library (`list`, `listByStatus`,
 * `listByMember`, `events`, a client's default `target`) and in `incusops list
 * --target`; on a daemon that is not a cluster member any `target` is. The
 * cluster is the fake answering as a 3-member one; the real cluster's case
 * is in tests/integration/cluster_test.ts.
 */

import { assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { connect, InvalidArgumentError } from "../../mod.ts";
import { ExitCode } from "../../src/cli/exit_codes.ts";
import type { FakeDaemon } from "../../src/testing/mod.ts";
import { fake } from "../_fake.ts";
import { cli } from "../_cli.ts";

const envelope = (metadata: unknown) => Response.json({ type: "sync", metadata });
const MEMBERS = 'unknown cluster member "m9" (target): the members are m1, m2, m3';

/** Makes the fake answer as member m1 of a cluster m1, m2, m3 holding one operation on m1. */
function asCluster(daemon: FakeDaemon): void {
  const op = { ...daemon.createOperation(), location: "m1" };
  daemon.interceptor = (_request, url) => {
    if (url.pathname === "/1.0") {
      return envelope(
        url.searchParams.has("target") ? {} : { environment: { server_clustered: true } },
      );
    }
    if (url.pathname === "/1.0/cluster/members") {
      return envelope(
        ["m1", "m2", "m3"].map((name) => ({
          server_name: name,
          url: `https://${name}:8443`,
          status: "Online",
        })),
      );
    }
    if (url.pathname === "/1.0/operations") {
      const ids = url.searchParams.get("recursion") === "0";
      return envelope({ running: [ids ? `/1.0/operations/${op.id}` : op] });
    }
  };
}

Deno.test("8.101 cluster target typo: list, listByStatus, listByMember, events and a client's target reject naming the members", async () => {
  await using t = await fake();
  const { daemon, client } = t;
  asCluster(daemon);
  const target = "m9";
  for (
    const call of [
      () => client.operations.list({ target }),
      () => client.operations.list({ target, recursion: 0 }),
      () => client.operations.listByStatus({ target }),
      () => client.operations.listByMember({ target }),
    ]
  ) {
    await assertRejects(call, InvalidArgumentError, MEMBERS);
  }
  await using typo = connect({ socket: daemon.path, target });
  await assertRejects(() => typo.operations.list(), InvalidArgumentError, MEMBERS);
  // Events: the stream fails before subscribing (the daemons accept any target there).
  await assertRejects(() => client.events({ target }).opened, InvalidArgumentError, MEMBERS);
  const stream = typo.events({ types: ["operation"] });
  await assertRejects(() => stream.next(), InvalidArgumentError, MEMBERS);
  assertEquals(daemon.eventStreams, 0);
  const fine = client.events({ target: "m2" });
  await fine.opened;
  await fine.close();
  // A member with no operation is still a member.
  assertEquals(await client.operations.list({ target: "m2" }), []);
  assertEquals((await client.operations.list({ target: "m1" })).length, 1);
});

Deno.test("8.101 cluster target typo: incusops list --target m9 exits 2 naming the members", async () => {
  await using t = await fake();
  asCluster(t.daemon);
  const { code, stderr } = await cli(t.daemon.path, ["list", "--target", "m9"]);
  assertEquals(code, ExitCode.Usage);
  assertStringIncludes(stderr, MEMBERS);
});

Deno.test("8.101 a target on a daemon that is not a cluster member is refused", async () => {
  await using t = await fake();
  const error = await assertRejects(
    () => t.client.operations.list({ target: "m1" }),
    InvalidArgumentError,
  );
  assertStringIncludes(error.message, '"m1" (target): the daemon is not a cluster member');
});
