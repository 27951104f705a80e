/**
 * The command line's edges (issue 15 §6, issue 17 items 8–10) on the fake
 * daemon: the exit code of each error class, --version, units on durations,
 * the final operation printed by wait, NO_COLOR, the PROJECT column, a
 * missing path named, deeply nested metadata in every format, config.yml
 * read only when remotes are used, hostile config files, permissions named.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { describeFailure, ExitCode } from "../../src/cli/main.ts";
import { connect } from "../../mod.ts";
import { FakeDaemon } from "../../src/testing/mod.ts";
import { operationReads, until } from "../_fake.ts";
import { cli, spawnCli, startCli } from "../_cli.ts";

/** The minimal flags for the CLI on `socket` with the socket variables readable. */
const socketFlags = (socket: string) => [
  "--allow-env=INCUS_SOCKET,INCUS_DIR,LXD_SOCKET,LXD_DIR",
  `--allow-read=${socket}`,
  `--allow-write=${socket}`,
  `--allow-net=unix:${socket},127.0.0.1:80`,
];

Deno.test("cli --version, and durations without a unit are a usage error asking for one", async () => {
  await using daemon = await FakeDaemon.start();
  const version = await cli(daemon.path, ["--version"]);
  assertEquals(version.code, 0);
  assertMatch(version.stdout, /^incusops \d+\.\d+\.\d+\n$/);
  const op = daemon.createOperation();
  const bare = await cli(daemon.path, ["wait", op.id, "--timeout", "500"]);
  assertEquals(bare.code, ExitCode.Usage);
  assertStringIncludes(bare.stderr, 'duration "500" needs a unit: 500s or 500ms');
  const missing = await cli(daemon.path, ["wait", op.id, "--timeout"]);
  assertEquals(missing.code, ExitCode.Usage);
  assertStringIncludes(missing.stderr, "option --timeout needs a value");
  const unknown = await cli(daemon.path, ["list", "--colour"]);
  assertEquals(unknown.code, ExitCode.Usage);
  assertStringIncludes(unknown.stderr, "unknown option --colour");
});

Deno.test("cli wait prints the final operations: table, json, yaml; none with --quiet", async () => {
  await using daemon = await FakeDaemon.start();
  const waitFor = async (...args: string[]) => {
    const op = daemon.createOperation({ durationMs: 20 });
    const out = await cli(daemon.path, ["wait", op.id, ...args]);
    assertEquals(out.code, 0, out.stderr);
    return { op, out };
  };
  const table = await waitFor();
  assertMatch(table.out.stdout, new RegExp(`\\| ${table.op.id} \\| TASK .*\\| SUCCESS `));
  const json = await waitFor("--format", "json");
  assertEquals(JSON.parse(json.out.stdout).map((op: { status: string }) => op.status), [
    "Success",
  ]);
  const yaml = await waitFor("-f", "yaml");
  assertStringIncludes(yaml.out.stdout, `- id: ${yaml.op.id}\n`);
  assertStringIncludes(yaml.out.stdout, "status: Success\n");
  const quiet = await waitFor("--quiet");
  assertEquals(quiet.out.stdout, "");
  assertStringIncludes(quiet.out.stderr, `${quiet.op.id.slice(0, 8)}: Success`);
});

Deno.test("cli wait on a terminal under NO_COLOR: redrawn with \\r and spaces, no escape codes", async () => {
  await using daemon = await FakeDaemon.start();
  const op = daemon.createOperation();
  const waiting = startCli(daemon.path, ["wait", op.id, "--quiet"], {
    terminal: true,
    noColor: true,
  });
  // Progress once the wait is subscribed, the end once the bar is drawn: no timer decides.
  await until(() => daemon.eventStreams === 1 && operationReads(daemon) >= 1);
  daemon.update(op.id, { progress: { stage: "unpack", percent: "40" } });
  await until(() => waiting.output.stderr.includes("40% unpack"));
  daemon.finish(op.id, { status: "Success" });
  const out = await waiting.done;
  assertEquals(out.code, 0, out.stderr);
  assertEquals(out.stderr.includes("\x1b"), false, JSON.stringify(out.stderr));
  assertStringIncludes(out.stderr, "\r");
  assertStringIncludes(out.stderr, `${op.id.slice(0, 8)}: Success\n`);
});

Deno.test("cli list --all-projects has a PROJECT column; query of a missing path names it", async () => {
  await using daemon = await FakeDaemon.start();
  const web = daemon.createOperation({ description: "In web", project: "web" });
  const all = await cli(daemon.path, ["list", "--all-projects"]);
  assertEquals(all.code, 0, all.stderr);
  assertMatch(all.stdout, /\| ID +\| PROJECT +\| TYPE +\|/);
  assertStringIncludes(all.stdout, `| ${web.id} | web     | TASK |`);
  const csv = await cli(daemon.path, ["list", "--all-projects", "--format", "csv"]);
  assertStringIncludes(csv.stdout, `${web.id},web,TASK,`);
  assertEquals((await cli(daemon.path, ["list"])).stdout.includes("PROJECT"), false);
  const missing = await cli(daemon.path, ["query", "/1.0/nowhere"]);
  assertEquals(missing.code, ExitCode.Failed);
  assertStringIncludes(missing.stderr, "GET /1.0/nowhere: not found");
});

Deno.test("cli: metadata nested 20,000 deep prints in every format of list, show and query", async () => {
  const dir = await Deno.makeTempDir({ prefix: "incusops-deep-" });
  const id = "9a8b7c6d-1234-4abc-9def-0123456789ab";
  const depth = 20_000;
  // Written by hand: JSON.stringify itself would overflow on such nesting.
  const op =
    `{"id":"${id}","class":"task","description":"Deep","created_at":"2026-11-30T10:00:00Z",` +
    `"updated_at":"2026-11-30T10:00:00Z","status":"Running","status_code":103,"resources":null,` +
    `"may_cancel":false,"err":"","location":"none","metadata":${'{"a":'.repeat(depth)}1${
      "}".repeat(depth)
    }}`;
  const envelope = (metadata: string) =>
    new Response(`{"type":"sync","status":"Success","status_code":200,"metadata":${metadata}}`, {
      headers: { "content-type": "application/json" },
    });
  const controller = new AbortController();
  const server = Deno.serve(
    { path: `${dir}/unix.socket`, signal: controller.signal, onListen: () => {} },
    (request) =>
      new URL(request.url).pathname === "/1.0/operations"
        ? envelope(`{"running":[${op}]}`)
        : envelope(op),
  );
  try {
    const runs = [
      ...["table", "json", "yaml", "csv"].map((format) => ["list", "--format", format]),
      ["show", id],
      ["show", id, "--format", "json"],
      ["query", `/1.0/operations/${id}`],
    ];
    for (const args of runs) {
      const out = await cli(`${dir}/unix.socket`, args);
      assertEquals(out.code, 0, `${args.join(" ")}: ${out.stderr}`);
      assertStringIncludes(out.stdout, id);
      if (!args.includes("table") && !args.includes("csv")) {
        assertStringIncludes(out.stdout, "levels: not shown", args.join(" "));
      }
    }
  } finally {
    controller.abort();
    await server.finished;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli exit codes: 5 for a daemon answering garbage, 4 for no daemon, 1 refused, 2 usage", async () => {
  const dir = await Deno.makeTempDir({ prefix: "incusops-garbage-" });
  const controller = new AbortController();
  const server = Deno.serve(
    { path: `${dir}/unix.socket`, signal: controller.signal, onListen: () => {} },
    () => new Response("<html>not a daemon</html>"),
  );
  try {
    const garbage = await cli(`${dir}/unix.socket`, ["list"]);
    assertEquals(garbage.code, ExitCode.Protocol, garbage.stderr);
    assertStringIncludes(garbage.stderr, "not JSON");
    const none = await cli(`${dir}/none.socket`, ["list"]);
    assertEquals(none.code, ExitCode.Connection);
    assertStringIncludes(none.stderr, `${dir}/none.socket`);
    await using daemon = await FakeDaemon.start();
    const fixed = daemon.createOperation();
    assertEquals((await cli(daemon.path, ["cancel", fixed.id])).code, ExitCode.Failed);
    assertEquals((await cli(daemon.path, ["show", "not an id"])).code, ExitCode.Usage);
  } finally {
    controller.abort();
    await server.finished;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli list fails as client.operations.list() does: GET /1.0 refused when no operation tells the location, a socket gone", async () => {
  const daemon = await FakeDaemon.start();
  const expect = async (code: number) => {
    await using client = connect({ socket: daemon.path });
    const error = await client.operations.list().then(() => undefined, (e: Error) => e);
    const listed = await cli(daemon.path, ["list"]);
    assertEquals([listed.code, listed.stderr], [
      code,
      `incusops: ${describeFailure(error).message}\n`,
    ]);
  };
  daemon.interceptor = (_request, url) =>
    url.pathname === "/1.0"
      ? Response.json({ type: "error", error: "server info broken", error_code: 500 }, {
        status: 500,
      })
      : undefined;
  await expect(ExitCode.Failed);
  // An operation tells the location ("none"): GET /1.0 is not needed.
  daemon.createOperation();
  assertEquals((await cli(daemon.path, ["list"])).code, ExitCode.Ok);
  await daemon.close();
  await expect(ExitCode.Connection);
});

Deno.test("cli as a process: with INCUS_SOCKET, neither HOME nor config.yml is read; denied permissions exit 4 naming the flag", async () => {
  await using daemon = await FakeDaemon.start();
  const op = daemon.createOperation();
  // No permission for HOME or INCUS_CONF: reading them would fail.
  const listed = await spawnCli(["list", "--format", "json"], {
    env: { INCUS_SOCKET: daemon.path, HOME: "/nonexistent" },
    flags: socketFlags(daemon.path),
  });
  assertEquals(listed.code, 0, listed.stderr);
  assertEquals(JSON.parse(listed.stdout)[0].id, op.id);
  const noEnv = await spawnCli(["list"], {
    env: { INCUS_SOCKET: daemon.path },
    flags: socketFlags(daemon.path).slice(1),
  });
  assertEquals(noEnv.code, ExitCode.Connection);
  assertStringIncludes(noEnv.stderr, "--allow-env=INCUS_SOCKET,INCUS_DIR,LXD_SOCKET,LXD_DIR");
  const noNet = await spawnCli(["list"], {
    env: { INCUS_SOCKET: daemon.path },
    flags: socketFlags(daemon.path).slice(0, 3),
  });
  assertEquals(noNet.code, ExitCode.Connection, noNet.stderr);
  assertStringIncludes(noNet.stderr, `--allow-net=unix:${daemon.path}`);
  // Incus and LXD variables naming different sockets: refused, not guessed.
  const both = await spawnCli(["list"], {
    env: { INCUS_SOCKET: daemon.path, LXD_SOCKET: "/tmp/incusops-other.socket" },
  });
  assertEquals(both.code, ExitCode.Connection);
  assertStringIncludes(both.stderr, "name different daemons");
});

Deno.test("cli hostile config.yml: a FIFO and --remote constructor exit 4 at once with a clear message", async () => {
  const dir = await Deno.makeTempDir({ prefix: "incusops-hostile-" });
  try {
    const made = await new Deno.Command("mkfifo", { args: [`${dir}/config.yml`] }).output();
    assert(made.success);
    const fifo = await spawnCli(["list"], { env: { INCUS_CONF: dir } });
    assertEquals(fifo.code, ExitCode.Connection);
    assertStringIncludes(fifo.stderr, `${dir}/config.yml: not a regular file (a FIFO)`);
    await Deno.remove(`${dir}/config.yml`);
    await Deno.writeTextFile(`${dir}/config.yml`, "remotes:\n  local:\n    addr: unix:///x\n");
    for (const name of ["constructor", "__proto__", "toString"]) {
      const out = await spawnCli(["list", "--remote", name], { env: { INCUS_CONF: dir } });
      assertEquals(out.code, ExitCode.Connection, out.stderr);
      assertStringIncludes(out.stderr, `remote "${name}": not in ${dir}/config.yml`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
