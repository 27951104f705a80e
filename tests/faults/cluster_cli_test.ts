/**
 * The incusops CLI on the real 3-member cluster and a fleet of remotes
 * (config.yml): LOCATION on the cluster, --target, a list across the
 * cluster, the standalone Incus and LXD and a stopped remote (exit 6, the
 * stopped one named on stderr, the others printed), and a partial cluster
 * list once m3 is killed (what was heard printed, m3 and its address named,
 * exit 6).
 */

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { spawnCli } from "../_cli.ts";
import { CLUSTER, connectToMember, startOn, whileKilled } from "../integration/_cluster.ts";

if (CLUSTER !== undefined) {
  const cluster = CLUSTER;
  const [m1, , m3] = cluster.members;

  // In the cluster's namespace, with its environment: config.yml alone names the remotes.
  const cli = (conf: string, ...args: string[]) =>
    spawnCli(args, { env: { INCUS_CONF: conf }, inheritEnv: true });

  Deno.test("8.55 cluster: incusops list: LOCATION, --target, a fleet with a stopped remote, a partial cluster (exit 6)", async () => {
    const conf = await Deno.makeTempDir({ prefix: "incusops-fleet-" });
    await using client = connectToMember(m1);
    const remotes = [`  cl:\n    addr: unix://${m1.socket}\n    protocol: incus`];
    const fleet = ["cl"];
    for (
      const [name, variable, protocol] of [["incus", "INCUS_SOCKET", "incus"], [
        "lxd",
        "LXD_SOCKET",
        "lxd",
      ]]
    ) {
      const socket = Deno.env.get(variable);
      if (socket === undefined) continue;
      remotes.push(`  ${name}:\n    addr: unix://${socket}\n    protocol: ${protocol}`);
      fleet.push(name);
    }
    remotes.push(`  down:\n    addr: unix://${conf}/stopped/unix.socket\n    protocol: incus`);
    await Deno.writeTextFile(
      `${conf}/config.yml`,
      `default-remote: cl\nremotes:\n${remotes.join("\n")}\n`,
    );
    const ops = await Promise.all(
      cluster.members.map((member) => startOn(client, member, ["sleep", "30"])),
    );
    try {
      const whole = await cli(conf, "list", "--remote", "cl");
      assertEquals(whole.code, 0, whole.stderr);
      assertStringIncludes(whole.stdout, "LOCATION");
      for (const op of ops) assertStringIncludes(whole.stdout, op.id);
      const onM3 = await cli(conf, "list", "--remote", "cl", "--target", "m3", "--format", "csv");
      assertEquals(onM3.code, 0, onM3.stderr);
      assert(onM3.stdout.includes(ops[2].id) && !onM3.stdout.includes(ops[0].id), onM3.stdout);
      assert(onM3.stdout.trim().split("\n").every((line) => line.endsWith(",m3")), onM3.stdout);

      const many = await cli(conf, "list", "--remote", [...fleet, "down"].join(","));
      assertEquals(many.code, 6, many.stderr);
      assertStringIncludes(many.stdout, "REMOTE");
      for (const op of ops) assertStringIncludes(many.stdout, op.id);
      assertStringIncludes(many.stderr, "down: not heard from");
      assert(!many.stderr.includes("cl:"), many.stderr);
      const all = await cli(conf, "list", "--all-remotes", "--format", "json");
      assertEquals(all.code, 6, all.stderr);
      const heard = new Set(JSON.parse(all.stdout).map((op: { remote: string }) => op.remote));
      assert(heard.has("cl"), [...heard].join());

      await whileKilled(m3, client, async () => {
        const partial = await cli(conf, "list", "--remote", "cl");
        assertEquals(partial.code, 6, partial.stderr);
        assertStringIncludes(partial.stdout, ops[0].id);
        assert(!partial.stdout.includes(ops[2].id));
        assertStringIncludes(partial.stderr, `m3 (${m3.url})`);
      });
    } finally {
      await Deno.remove(conf, { recursive: true });
    }
  });
}
