/**
 * The `incusops` command line, as a process without a TTY, against both
 * real daemons: list, show, wait (success, failure, timeout), cancel and
 * query, with their exit codes; watch until SIGINT; a unix remote of a
 * config.yml (`--remote`, `<remote>:<id>`, `<remote>:/1.0/...`).
 */

import { assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import {
  connectTo,
  DAEMONS,
  type RealDaemon,
  startExec,
  startSleep,
  uniqueName,
} from "./_daemons.ts";
import { spawnCli, startWatch } from "../_cli.ts";

/** Runs `incusops` as a process on `daemon` (no config.yml, no HOME: found through INCUS_SOCKET). */
function incusopsOn(daemon: RealDaemon, ...args: string[]) {
  return spawnCli(args, { env: { INCUS_SOCKET: daemon.socket, HOME: "/nonexistent" } });
}

for (const daemon of DAEMONS) {
  const incusops = (...args: string[]) => incusopsOn(daemon, ...args);

  Deno.test(`${daemon.name}: incusops list/show/wait/cancel/query with exit codes`, async () => {
    await using client = connectTo(daemon);
    const running = await startSleep(client, daemon, 4);
    const listed = await incusops("list", "--format", "json", "--status", "running");
    assertEquals(listed.code, 0, listed.stderr);
    const ids = JSON.parse(listed.stdout).map((op: { id: string }) => op.id);
    assertEquals(ids.includes(running.id), true);
    const table = await incusops("list");
    // Columns are as wide as their widest cell: another test's operation (a websocket one) may widen them.
    assertMatch(
      table.stdout,
      new RegExp(`\\| ${running.id} \\| TASK +\\| Executing command +\\| RUNNING +\\|`),
    );
    const shown = JSON.parse((await incusops("show", running.id, "--format", "json")).stdout);
    assertEquals(shown.status, "Running");
    const refused = await incusops("cancel", running.id);
    assertEquals(refused.code, 1);
    assertStringIncludes(refused.stderr, "cannot be cancelled");
    const timedOut = await incusops("wait", running.id, "--timeout", "500ms");
    assertEquals(timedOut.code, 3);
    const done = await incusops("wait", running.id, "--timeout", "30s", "--format", "json");
    assertEquals(done.code, 0, done.stderr);
    assertStringIncludes(done.stderr, `${running.id.slice(0, 8)}: Success`);
    const [final] = JSON.parse(done.stdout);
    assertEquals([final.id, final.status, final.metadata.return], [running.id, "Success", 0]);
    const failing = await startExec(client, daemon, ["/no/such/command"]);
    const failed = await incusops("wait", failing.id);
    assertEquals(failed.code, 1);
    assertEquals(failed.stderr.trim().split("\n").length, 1);
    const instance = JSON.parse((await incusops("query", "/1.0/instances/c1")).stdout);
    assertEquals(instance.name, "c1");
    const missing = await incusops("query", "/1.0/instances/no-such-instance");
    assertEquals(missing.code, 1);
    assertStringIncludes(missing.stderr, "GET /1.0/instances/no-such-instance: ");
    const bare = await incusops("wait", running.id, "--timeout", "500");
    assertEquals(bare.code, 2);
    assertStringIncludes(bare.stderr, "needs a unit");
  });
}

Deno.test("the socket a variable names is the daemon answering: LXD_SOCKET reaches LXD, INCUS_SOCKET Incus; both set is refused", async () => {
  const server = async (env: Record<string, string>) => {
    const out = await spawnCli(["query", "/1.0"], { env });
    assertEquals(out.code, 0, out.stderr);
    return JSON.parse(out.stdout).environment.server;
  };
  for (const daemon of DAEMONS) {
    const variable = daemon.name === "incus" ? "INCUS_SOCKET" : "LXD_SOCKET";
    assertEquals(await server({ [variable]: daemon.socket }), daemon.name);
    const dir = daemon.socket.replace(/\/unix\.socket$/, "");
    assertEquals(await server({ [variable.replace("SOCKET", "DIR")]: dir }), daemon.name);
  }
  if (DAEMONS.length === 2) {
    const [incus, lxd] = DAEMONS;
    const both = await spawnCli(["query", "/1.0"], {
      env: { INCUS_SOCKET: incus.socket, LXD_SOCKET: lxd.socket },
    });
    assertEquals(both.code, 4);
    assertStringIncludes(both.stderr, "name different daemons");
  }
  const typo = await spawnCli(["list"], { env: { INCUS_SOCKET: "/tmp/incusops-typo.sock" } });
  assertEquals(typo.code, 4);
  assertStringIncludes(typo.stderr, "/tmp/incusops-typo.sock named by INCUS_SOCKET");
});

for (const daemon of DAEMONS) {
  Deno.test(`${daemon.name}: incusops list --all-projects shows a PROJECT column`, async () => {
    await using client = connectTo(daemon);
    const running = await startSleep(client, daemon, 2);
    const all = await incusopsOn(daemon, "list", "--all-projects");
    assertEquals(all.code, 0, all.stderr);
    assertMatch(all.stdout, /\| ID +\| PROJECT +\| TYPE +\|/);
    assertMatch(all.stdout, new RegExp(`\\| ${running.id} \\| default +\\| TASK +\\|`));
    await client.operations.wait(running.id, { timeout: 30_000 });
  });
}

for (const daemon of DAEMONS) {
  Deno.test(`${daemon.name}: incusops watch prints a real operation's events until SIGINT`, async () => {
    await using client = connectTo(daemon);
    const watch = startWatch({ INCUS_SOCKET: daemon.socket, HOME: "/nonexistent" });
    await watch.listening();
    const op = await startSleep(client, daemon, 1);
    const seen = await watch.readUntil(new RegExp(`${op.id} Success`));
    const code = await watch.interrupt();
    assertEquals(code, 0);
    assertMatch(seen, new RegExp(`${op.id} Running +Executing command`));
    assertMatch(seen, new RegExp(`${op.id} Success +Executing command`));
  });

  Deno.test(`${daemon.name}: incusops remotes from config.yml, query --wait, yaml/csv, delete`, async () => {
    await using client = connectTo(daemon);
    const dir = await Deno.makeTempDir({ prefix: "incusops-realconf-" });
    try {
      // A user's config.yml naming the daemon's socket; "local" stays the default remote.
      await Deno.writeTextFile(
        `${dir}/config.yml`,
        `default-remote: local\nremotes:\n  real:\n    addr: unix://${daemon.socket}\n` +
          `    protocol: ${daemon.name}\n    project: default\n    public: false\n`,
      );
      // No usable socket variable: only the config leads to the daemon.
      const env = { INCUS_CONF: dir, HOME: dir, INCUS_SOCKET: "/nonexistent/unix.socket" };
      const conf = (...args: string[]) => spawnCli(args, { env });
      const running = await startSleep(client, daemon, 3);
      const csv = await conf("list", "--remote", "real", "--format", "csv", "--all-projects");
      assertEquals(csv.code, 0, csv.stderr);
      assertMatch(
        csv.stdout,
        new RegExp(`^${running.id},default,TASK,Executing command,RUNNING,NO,`, "m"),
      );
      // "real:" as `incus operation list real:` (the default remote, local, is missing).
      const byName = await conf("list", "real:", "--format", "csv");
      assertEquals(byName.code, 0, byName.stderr);
      assertStringIncludes(byName.stdout, `${running.id},TASK,Executing command,RUNNING,`);
      const unknown = await conf("list", "nope:");
      assertEquals(unknown.code, 4);
      assertStringIncludes(unknown.stderr, 'remote "nope"');
      assertEquals((await conf("list", "real:", "extra")).code, 2);
      // The daemon echoes the action it refuses: escape bytes print escaped.
      const hostile = JSON.stringify({ action: "\x1b]0;pwned\x07\x1b[2J" });
      const echoed = await conf(
        "query",
        "-X",
        "PUT",
        "-d",
        hostile,
        "real:/1.0/instances/c1/state",
      );
      assertEquals(echoed.code, 1);
      assertStringIncludes(echoed.stderr, "Unknown action: '\\u001b]0;pwned\\u0007\\u001b[2J'");
      assertEquals(echoed.stderr.includes("\x1b") || echoed.stderr.includes("\x07"), false);
      const yaml = await conf("show", `real:${running.id}`);
      assertEquals(yaml.code, 0, yaml.stderr);
      assertStringIncludes(yaml.stdout, `id: ${running.id}\n`);
      assertStringIncludes(yaml.stdout, "status: Running\n");
      const refused = await conf("delete", `real:${running.id}`);
      assertEquals(refused.code, 1);
      assertStringIncludes(refused.stderr, "cannot be cancelled");
      const local = await conf("list");
      assertEquals(local.code, 4, "the default remote is local, whose socket is missing");
      assertStringIncludes(local.stderr, "/nonexistent/unix.socket");
      assertEquals(local.stderr.trim().split("\n").length, 1);
      assertEquals((await conf("wait", `real:${running.id}`, "--timeout", "30s")).code, 0);
      const ran = await conf(
        "query",
        "-X",
        "POST",
        "-d",
        JSON.stringify({ command: ["true"], "wait-for-websocket": false, interactive: false }),
        "--wait",
        `real:/1.0/instances/${daemon.instance}/exec`,
      );
      assertEquals(ran.code, 0, ran.stderr);
      const final = JSON.parse(ran.stdout);
      assertEquals(final.status, "Success");
      assertEquals(final.metadata.return, 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

for (const daemon of DAEMONS) {
  Deno.test(`${daemon.name}: incusops waits for an instance creation, cancels a cancellable operation`, async () => {
    await using client = connectTo(daemon);
    const incusops = (...args: string[]) => incusopsOn(daemon, ...args);
    const name = uniqueName("cli");
    try {
      // query without --wait answers the background operation; wait follows it.
      const body = { name, source: { type: "image", alias: daemon.image } };
      const started = await incusops(
        "query",
        "-X",
        "POST",
        "-d",
        JSON.stringify(body),
        "/1.0/instances",
      );
      assertEquals(started.code, 0, started.stderr);
      const create = JSON.parse(started.stdout);
      assertEquals(create.class, "task");
      const created = await incusops("wait", create.id, "--timeout", "60s");
      assertEquals(created.code, 0, created.stderr);
      assertStringIncludes(created.stderr, `${create.id.slice(0, 8)}: Success`);

      // A migration source waits for a target: cancellable; the wait ends with exit 1.
      const source = await incusops(
        "query",
        "-X",
        "POST",
        "-d",
        JSON.stringify({ migration: true, live: false }),
        `/1.0/instances/${name}`,
      );
      assertEquals(source.code, 0, source.stderr);
      const migration = JSON.parse(source.stdout);
      assertEquals([migration.class, migration.may_cancel], ["websocket", true]);
      // Its websocket secrets are masked (shown with --show-secrets only).
      for (const secret of Object.values(migration.metadata as Record<string, string>)) {
        assertEquals(secret, "********");
      }
      const waiting = incusops("wait", migration.id, "--timeout", "30s");
      const cancelled = await incusops("cancel", migration.id);
      assertEquals(cancelled.code, 0, cancelled.stderr);
      assertStringIncludes(cancelled.stdout, `${migration.id}: cancel requested`);
      const waited = await waiting;
      assertEquals(waited.code, 1, waited.stderr);
      assertEquals(waited.stderr.trim().split("\n").length, 1, waited.stderr);
      assertStringIncludes(waited.stderr.toLowerCase(), "cancel");
    } finally {
      await client.query(`/1.0/instances/${name}`, { method: "DELETE", wait: true })
        .catch(() => {});
    }
  });
}
