/**
 * A real 3-member Incus cluster (tests/daemons/cluster.sh): operations
 * started on every member are listed (with their `location`), grouped by
 * member and awaited through one member's socket; `target` addresses a
 * member; 300 waits spread over the members share one events connection.
 * Member outages are in tests/faults/cluster_outage_test.ts.
 */

import { assert, assertEquals, assertRejects } from "@std/assert";
import { type IncusEvent, InvalidArgumentError, type Operation } from "../../mod.ts";
import { cli } from "../_cli.ts";
import { ExitCode } from "../../src/cli/exit_codes.ts";
import { CLUSTER, connectToMember, startOn, type TestMember } from "./_cluster.ts";
import { openSockets } from "../_process.ts";
import { runReadmeExample } from "../_readme.ts";

if (CLUSTER !== undefined) {
  const cluster = CLUSTER;
  const [m1] = cluster.members;

  Deno.test("cluster: operations on every member are listed, grouped and awaited through m1", async () => {
    await using client = connectToMember(m1);
    const started = await Promise.all(
      cluster.members.map((member) => startOn(client, member, ["sleep", "1"])),
    );
    assertEquals(started.map((op) => op.location), cluster.members.map((member) => member.name));
    const listed = await client.operations.list();
    for (const op of started) {
      assertEquals(listed.find((seen) => seen.id === op.id)?.location, op.location);
    }
    const { members, unreachable } = await client.operations.listByMember();
    assertEquals(unreachable, []);
    assertEquals(Object.keys(members).sort(), ["m1", "m2", "m3"]);
    for (const op of started) assert(members[op.location].some((seen) => seen.id === op.id));
    const onlyM2 = await client.operations.list({ target: "m2" });
    assert(onlyM2.every((op) => op.location === "m2"), JSON.stringify(onlyM2));
    assert(onlyM2.some((op) => op.id === started[1].id));
    const finals = await client.operations.waitAll(started.map((op) => op.id), {
      timeout: 30_000,
    });
    assertEquals(finals.map((op) => op.status), ["Success", "Success", "Success"]);
    assertEquals(finals.map((op) => op.location), ["m1", "m2", "m3"]);
  });

  Deno.test("cluster: target addresses a member (query) and keeps its events (events)", async () => {
    await using client = connectToMember(m1);
    // The daemons forward a request with ?target= to that member.
    type Server = { environment: { server_name: string } };
    const viaM2 = await client.query<Server>("/1.0", { target: "m2" });
    assertEquals(viaM2.environment.server_name, "m2");
    await using pinned = connectToMember(m1, { target: "m2" });
    assertEquals((await pinned.query<Server>("/1.0")).environment.server_name, "m2");
    assertEquals((await client.query<Server>("/1.0")).environment.server_name, "m1");
    const controller = new AbortController();
    const stream = client.events({ types: ["operation"], target: "m2", signal: controller.signal });
    await stream.opened;
    const ops = await Promise.all(
      cluster.members.map((member) => startOn(client, member, ["sleep", "0.3"])),
    );
    const seen: IncusEvent[] = [];
    const done = client.operations.waitAll(ops.map((op) => op.id), { timeout: 30_000 });
    for await (const event of stream) {
      seen.push(event);
      if ((event.metadata as Operation).id === ops[1].id && event.metadata) {
        if ((event.metadata as Operation).status === "Success") controller.abort();
      }
    }
    await done;
    assert(seen.length > 0);
    assert(
      seen.every((event) => event.location === "m2"),
      JSON.stringify(seen.map((e) => e.location)),
    );
  });

  Deno.test("cluster: 300 concurrent waits over the three members share one events connection", async () => {
    await using client = connectToMember(m1);
    // Each operation blocks on a fifo until the test opens it for writing:
    // none can finish (and be forgotten) before all 300 waits have started.
    const gate = `/tmp/gate-${crypto.randomUUID().slice(0, 8)}`;
    const run = (member: TestMember, command: string[]) =>
      client.query<Operation>(`/1.0/instances/${member.instance}/exec`, {
        method: "POST",
        body: { command, "wait-for-websocket": false, "record-output": false },
        wait: true,
        timeout: 30_000,
      });
    await Promise.all(cluster.members.map((member) => run(member, ["mkfifo", gate])));
    const ops: Operation[] = [];
    for (let batch = 0; batch < 10; batch++) {
      ops.push(
        ...await Promise.all(
          Array.from(
            { length: 30 },
            (_, i) =>
              startOn(client, cluster.members[i % 3], ["sh", "-c", `cat ${gate} >/dev/null`]),
          ),
        ),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 400)); // pooled idle connections close
    const before = openSockets();
    let during = 0;
    const sampling = setInterval(() => during = Math.max(during, openSockets()), 20);
    try {
      const waiting = client.operations.waitAll(ops.map((op) => op.id), { timeout: 120_000 });
      // Opening the fifo for writing (held 3 s) releases every reader; closing it ends them.
      // One member after the other: one pooled connection.
      for (const member of cluster.members) {
        await startOn(client, member, ["sh", "-c", `exec 3>${gate}; sleep 3`]);
      }
      const finals = await waiting;
      assertEquals(finals.filter((op) => op.status === "Success").length, 300);
      const where = new Map<string, number>();
      for (const op of finals) where.set(op.location, (where.get(op.location) ?? 0) + 1);
      assertEquals(Object.fromEntries(where), { m1: 100, m2: 100, m3: 100 });
    } finally {
      clearInterval(sampling);
    }
    // One events socket, plus a few pooled request connections (the catch-up
    // reads, the release POSTs); never one per wait.
    assert(during - before <= 6, `sockets went from ${before} to ${during} for 300 waits`);
  });

  Deno.test("cluster: the docs/clusters.md example works as written over HTTPS, with minimal permissions", async () => {
    const root = cluster.root;
    const hosts = cluster.members.map((member) => new URL(member.url).host).join(",");
    const files = [`${root}/client.crt`, `${root}/client.key`, `${root}/cluster.crt`];
    const out = await runReadmeExample(
      "Clusters and fleets",
      ["--allow-env", `--allow-read=${files.join(",")}`, `--allow-net=${hosts}`],
      {
        CLUSTER_URLS: cluster.members.map((member) => member.url).join(","),
        CLIENT_CRT: files[0],
        CLIENT_KEY: files[1],
        CLUSTER_CRT: files[2],
      },
    );
    assert(out.startsWith("every member heard:"), out);
    assert(out.endsWith("m1,m2,m3 0\n"), out);
  });

  Deno.test("cluster: a target typo is refused naming the members (list, events, a client's target, incusops list --target)", async () => {
    const names = 'unknown cluster member "m9" (target): the members are m1, m2, m3';
    await using client = connectToMember(m1);
    await assertRejects(
      () => client.operations.list({ target: "m9" }),
      InvalidArgumentError,
      names,
    );
    await using typo = connectToMember(m1, { target: "m9" });
    await assertRejects(() => typo.operations.listByStatus(), InvalidArgumentError, names);
    // Incus accepts /1.0/events?target=m9 (and then sends nothing): refused before it.
    await assertRejects(() => client.events({ target: "m9" }).opened, InvalidArgumentError, names);
    const { code, stderr } = await cli(m1.socket, ["list", "--target", "m9"]);
    assertEquals([code, stderr.includes(names)], [ExitCode.Usage, true], stderr);
  });
}
