/**
 * The `incusops` command line against the fake daemon: output formats,
 * progress, exit codes, secrets, remotes from config.yml (Unix and HTTPS
 * with pinned certificates), watch until SIGINT, and the demo.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { fake, operationReads, until } from "../_fake.ts";
import { cli, spawnCli, startCli, startWatch } from "../_cli.ts";

Deno.test("cli list: table, json, yaml, csv, --status; secrets masked unless --show-secrets", async () => {
  await using t = await fake();
  const { daemon } = t;
  const secret = "0123456789abcdef".repeat(4);
  const a = daemon.createOperation({ description: "Creating instance", mayCancel: true });
  const b = daemon.createOperation({ class: "websocket", metadata: { fds: { "0": secret } } });
  daemon.finish(a.id, { status: "Success" });
  const table = await cli(daemon.path, ["list"]);
  assertEquals(table.code, 0);
  assertMatch(table.stdout, /\| ID +\| TYPE +\| DESCRIPTION +\| STATUS +\| CANCELABLE +\| CREATED/);
  assertStringIncludes(table.stdout, `| ${a.id} | TASK`);
  const json = JSON.parse((await cli(daemon.path, ["list", "--format", "json"])).stdout);
  assertEquals(json.map((op: { id: string }) => op.id), [a.id, b.id]);
  assertEquals(json[1].metadata.fds["0"], "********");
  // A migration source's websocket secrets have their own keys (control, fs, criu).
  const migration = daemon.createOperation({
    class: "websocket",
    metadata: { control: secret, fs: secret.toUpperCase(), note: "kept" },
  });
  const migrated = await cli(daemon.path, ["show", migration.id, "--format", "json"]);
  assertEquals(JSON.parse(migrated.stdout).metadata, {
    control: "********",
    fs: "********",
    note: "kept",
  });
  const hash = "ab".repeat(32);
  const task = daemon.createOperation({ metadata: { fingerprint: hash } });
  const fingerprint = await cli(daemon.path, ["show", task.id, "--format", "json"]);
  assertEquals(JSON.parse(fingerprint.stdout).metadata.fingerprint, hash, "not a websocket op");
  daemon.finish(migration.id, { status: "Cancelled" });
  daemon.finish(task.id, { status: "Success" });
  const shown = await cli(daemon.path, ["list", "--format", "json", "--show-secrets"]);
  assertStringIncludes(shown.stdout, secret);
  assert(!(await cli(daemon.path, ["list", "--format", "yaml"])).stdout.includes(secret));
  const csv = await cli(daemon.path, ["list", "--format", "csv", "--status", "running"]);
  assertEquals(csv.stdout.trim().split("\n").length, 1);
  assertStringIncludes(csv.stdout, `${b.id},WEBSOCKET,`);
  const yaml = await cli(daemon.path, ["show", b.id]);
  assertStringIncludes(yaml.stdout, `id: ${b.id}\nclass: websocket\n`);
  assertEquals((await cli(daemon.path, ["list", "--format", "xml"])).code, 2);
  const misspelt = await cli(daemon.path, ["list", "--status", "runing"]);
  assertEquals(misspelt.code, 2);
  assertStringIncludes(misspelt.stderr, 'unknown status "runing"');
  assertEquals((await cli(daemon.path, ["list", "--status", "Running,SUCCESS"])).code, 0);
  const tableShow = await cli(daemon.path, ["show", b.id, "--format", "csv"]);
  assertEquals(tableShow.code, 2);
  assertStringIncludes(tableShow.stderr, "--format json");
});

Deno.test("cli wait: progress lines without a TTY, exit codes 0 / 1 / 2 / 3", async () => {
  await using t = await fake();
  const { daemon } = t;
  const op = daemon.createOperation();
  const waiting = startCli(daemon.path, ["wait", op.id, "--timeout", "10s"]);
  // Progress once the wait is subscribed; the end once the progress line is out.
  await until(() => daemon.eventStreams === 1 && operationReads(daemon) >= 1);
  daemon.update(op.id, { progress: { stage: "unpack", percent: "50" } });
  await until(() => waiting.output.stderr.includes("50% unpack"));
  daemon.finish(op.id, { status: "Success" });
  const ok = await waiting.done;
  assertEquals(ok.code, 0, ok.stderr);
  assertStringIncludes(ok.stderr, `${op.id.slice(0, 8)} [##########..........] 50% unpack`);
  assertStringIncludes(ok.stderr, `${op.id.slice(0, 8)}: Success`);
  const failing = daemon.createOperation({ durationMs: 20, outcome: "Failure", err: "boom" });
  const failed = await cli(daemon.path, ["wait", failing.id]);
  assertEquals(failed.code, 1);
  assertStringIncludes(failed.stderr, "boom");
  const slow = daemon.createOperation();
  const timedOut = await cli(daemon.path, ["wait", slow.id, "--timeout", "200ms"]);
  assertEquals(timedOut.code, 3);
  assertStringIncludes(timedOut.stderr, "raise --timeout");
  assertEquals((await cli(daemon.path, ["wait", "../instances/c1"])).code, 2);
  assertEquals((await cli(daemon.path, ["wait", slow.id, "--timeout", "soon"])).code, 2);
  assertEquals((await cli(daemon.path, ["wait"])).code, 2);
  assertEquals(daemon.operation(slow.id)?.status, "Running");
});

Deno.test("cli cancel, delete and query", async () => {
  await using t = await fake();
  const { daemon } = t;
  const cancellable = daemon.createOperation({ mayCancel: true });
  const fixed = daemon.createOperation();
  assertEquals((await cli(daemon.path, ["cancel", cancellable.id])).code, 0);
  assertEquals(daemon.operation(cancellable.id)?.status, "Cancelled");
  const refused = await cli(daemon.path, ["delete", fixed.id]);
  assertEquals(refused.code, 1);
  assertStringIncludes(refused.stderr, "cannot be cancelled");
  const info = await cli(daemon.path, ["query", "/1.0"]);
  assertEquals(JSON.parse(info.stdout).api_version, "1.0");
  const ran = await cli(daemon.path, [
    "query",
    "-X",
    "POST",
    "-d",
    '{"command":["true"]}',
    "--wait",
    "/1.0/instances/c1/exec",
  ]);
  assertEquals(ran.code, 0, ran.stderr);
  assertEquals(JSON.parse(ran.stdout).status, "Success");
  assertEquals((await cli(daemon.path, ["query", "-d", "{nope", "/1.0"])).code, 2);
  assertEquals((await cli(daemon.path, ["query", "/2.0/../etc"])).code, 2);
});

Deno.test("cli as a process: exit 4 naming the socket; usage on stderr with exit 2; --help 0", async () => {
  const env = { INCUS_SOCKET: "/tmp/incusops-nowhere/unix.socket", HOME: "/tmp/incusops-nohome" };
  const missing = await spawnCli(["list"], { env });
  assertEquals(missing.code, 4);
  assertStringIncludes(missing.stderr, "/tmp/incusops-nowhere/unix.socket");
  assertEquals(missing.stderr.trim().split("\n").length, 1, "one line");
  const usage = await spawnCli([], { env });
  assertEquals(usage.code, 2);
  assertStringIncludes(usage.stderr, "Usage: incusops <command>");
  assertEquals((await spawnCli(["--help"], { env })).code, 0);
});

Deno.test("cli watch prints operation events until SIGINT, then exits 0", async () => {
  await using t = await fake();
  const { daemon } = t;
  const watch = startWatch({ INCUS_SOCKET: daemon.path });
  await watch.listening();
  const op = daemon.createOperation({ description: "Watched op" });
  daemon.finish(op.id, { status: "Success" });
  const seen = await watch.readUntil(/Success/);
  const code = await watch.interrupt();
  assertEquals(code, 0);
  assertMatch(seen, new RegExp(`${op.id} Running +Watched op`));
  assertMatch(seen, new RegExp(`${op.id} Success +Watched op`));
});

Deno.test("cli remotes from config.yml: unix remote, <remote>:<id>, unknown remote", async () => {
  await using t = await fake();
  const { daemon } = t;
  const dir = await Deno.makeTempDir({ prefix: "incusops-conf-" });
  try {
    await Deno.writeTextFile(
      `${dir}/config.yml`,
      `default-remote: fake\nremotes:\n  images:\n    addr: https://images.example\n    protocol: simplestreams\n    public: true\n  fake:\n    addr: unix://${daemon.path}\n    project: default\n    public: false\naliases: {}\n`,
    );
    const op = daemon.createOperation({ durationMs: 30 });
    const env = { INCUS_CONF: dir, HOME: dir };
    const listed = await spawnCli(["list", "--format", "json"], { env });
    assertEquals(listed.code, 0, listed.stderr);
    assertEquals(JSON.parse(listed.stdout)[0].id, op.id);
    assertEquals((await spawnCli(["wait", `fake:${op.id}`], { env })).code, 0);
    const unknown = await spawnCli(["list", "--remote", "prod"], { env });
    assertEquals(unknown.code, 4);
    assertStringIncludes(unknown.stderr, 'remote "prod": not in');
    const images = await spawnCli(["list", "--remote", "images"], { env });
    assertEquals(images.code, 4);
    assertStringIncludes(images.stderr, "simplestreams");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli HTTPS remote: client certificate and pinned servercerts/<remote>.crt", async () => {
  const dir = await Deno.makeTempDir({ prefix: "incusops-tlsconf-" });
  const openssl = (...args: string[]) => new Deno.Command("openssl", { args, cwd: dir }).output();
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"];
  try {
    await Deno.mkdir(`${dir}/servercerts`);
    // Like a daemon's own certificate: self-signed, not a CA, for 127.0.0.1.
    await Deno.writeTextFile(
      `${dir}/server.cnf`,
      "[req]\ndistinguished_name=dn\nx509_extensions=ext\nprompt=no\n[dn]\nCN=server\n" +
        "[ext]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n" +
        "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n",
    );
    await openssl(
      "req",
      "-x509",
      ...ec,
      "-config",
      "server.cnf",
      "-keyout",
      "server.key",
      "-out",
      "servercerts/tls.crt",
    );
    await openssl(
      "req",
      "-x509",
      ...ec,
      "-subj",
      "/CN=client",
      "-keyout",
      "client.key",
      "-out",
      "client.crt",
    );
    const controller = new AbortController();
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      cert: await Deno.readTextFile(`${dir}/servercerts/tls.crt`),
      key: await Deno.readTextFile(`${dir}/server.key`),
      signal: controller.signal,
      onListen: () => {},
    }, () => Response.json({ type: "sync", status: "Success", status_code: 200, metadata: {} }));
    try {
      await Deno.writeTextFile(
        `${dir}/config.yml`,
        `remotes:\n  tls:\n    addr: https://127.0.0.1:${server.addr.port}\n    protocol: incus\n`,
      );
      const env = { INCUS_CONF: dir, HOME: dir };
      const listed = await spawnCli(["list", "--remote", "tls", "--format", "json"], { env });
      assertEquals(listed.code, 0, listed.stderr);
      assertEquals(JSON.parse(listed.stdout), []);
      await Deno.writeTextFile(
        `${dir}/servercerts/tls.crt`,
        await Deno.readTextFile(`${dir}/client.crt`),
      );
      const wrong = await spawnCli(["list", "--remote", "tls"], { env });
      assertEquals(wrong.code, 4);
      assertStringIncludes(wrong.stderr, `https://127.0.0.1:${server.addr.port}`);
    } finally {
      controller.abort();
      await server.finished;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task demo runs without a daemon and shows every step", async () => {
  const script = decodeURIComponent(new URL("../../src/cli/demo.ts", import.meta.url).pathname);
  const output = await spawnCli([], { script, env: { NO_COLOR: "1" } });
  const text = output.stdout + output.stderr;
  assertEquals(output.code, 0, text);
  assertEquals(text.includes("\x1b"), false, "NO_COLOR (and no terminal): no escape codes");
  for (
    const expected of [
      "$ incusops list",
      "100% create_instance_from_image_unpack",
      ": Success",
      "status: Cancelled",
      "(exit code 1)",
      "(exit code 2)",
    ]
  ) {
    assertStringIncludes(text, expected);
  }
});

Deno.test("cli wait on a terminal: spinner, then a bar redrawn in place with stage and speed", async () => {
  await using t = await fake();
  const { daemon } = t;
  const op = daemon.createOperation();
  const progress = { stage: "unpack", percent: "40", speed: "48000000" };
  // Escape codes allowed whatever this machine's NO_COLOR says.
  const { output, done } = startCli(daemon.path, ["wait", op.id, "--timeout", "10s"], {
    terminal: true,
    noColor: false,
  });
  // The spinner first; progress once the wait is subscribed; the end once the bar is drawn.
  await until(() => output.stderr.includes("waiting"));
  await until(() => daemon.eventStreams === 1 && operationReads(daemon) >= 1);
  daemon.update(op.id, { progress });
  await until(() => output.stderr.includes("40% unpack"));
  daemon.finish(op.id, { status: "Success" });
  const { code, stderr } = await done;
  assertEquals(code, 0, stderr);
  const label = op.id.slice(0, 8);
  // Frames redrawn in place: a spinner before any progress, then the bar.
  const frames = stderr.split("\r\x1b[2K");
  assertEquals(frames[0], "");
  assertMatch(frames[1], /^[|/\\-] waiting$/);
  const bar = `${label} [########............] 40% unpack 48 MB/s`;
  assert(frames.some((frame) => frame.slice(2) === bar), JSON.stringify(frames));
  // The only line feed ends the final line, after the bar was cleared.
  assertEquals(stderr.split("\n").length, 2, JSON.stringify(stderr));
  assertStringIncludes(stderr, `\r\x1b[2K${label}: Success\n`);
});

for (const flavor of ["incus", "lxd"] as const) {
  Deno.test(`cli --project and --all-projects (${flavor} fake): lists, shows and waits per project`, async () => {
    await using t = await fake({ flavor });
    const { daemon } = t;
    const home = daemon.createOperation({ description: "In default" });
    const web = daemon.createOperation({ description: "In web", project: "web", durationMs: 30 });
    const ids = async (...args: string[]) => {
      const out = await cli(daemon.path, ["list", "--format", "json", ...args]);
      assertEquals(out.code, 0, out.stderr);
      return JSON.parse(out.stdout).map((op: { id: string }) => op.id).sort();
    };
    assertEquals(await ids(), [home.id]);
    assertEquals(await ids("--project", "web"), [web.id]);
    assertEquals(await ids("-p", "web"), [web.id]);
    assertEquals(await ids("--all-projects"), [home.id, web.id].sort());
    // Operation ids are global: the daemons (and the fake) serve one whatever the project asked.
    assertEquals(
      JSON.parse((await cli(daemon.path, ["show", web.id, "-f", "json"])).stdout).id,
      web.id,
    );
    const shown = await cli(daemon.path, ["show", web.id, "--project", "web", "--format", "json"]);
    assertEquals(JSON.parse(shown.stdout).project, "web");
    const waited = await cli(daemon.path, ["wait", web.id, "--project", "web"]);
    assertEquals(waited.code, 0, waited.stderr);
  });
}
