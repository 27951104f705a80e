/**
 * A new user's slips on the command line (issue 26 §6) get one clear
 * error: `list <remote>:` lists that remote (or fails naming it), extra
 * arguments are usage errors, an unknown option is named once, a bad id
 * says what an id looks like; `--remote-timeout` bounds each remote of a
 * fleet list (and only there); `ExitCode` documents each code's number.
 */

import { assertEquals, assertStringIncludes } from "@std/assert";
import { ExitCode } from "../../src/cli/exit_codes.ts";
import { FakeDaemon } from "../../src/testing/mod.ts";
import { cli, MAIN, MAP, spawnCli } from "../_cli.ts";
import { misbehaving, readHead } from "../faults/_misbehaving.ts";

Deno.test("cli slips: extra arguments to list, a remote twice, an unknown option, a bad id", async () => {
  await using daemon = await FakeDaemon.start();
  for (
    const args of [["whatever"], ["whatever", "extra"], ["a:", "b:"], ["a:", "--remote", "b"], [
      ":",
    ]]
  ) {
    const { code, stderr } = await cli(daemon.path, ["list", ...args]);
    assertEquals(code, ExitCode.Usage, args.join(" "));
    assertStringIncludes(stderr, "incusops list [<remote>:]");
  }
  const option = await cli(daemon.path, ["list", "--formt", "json"]);
  assertEquals(option.stderr, "incusops: unknown option --formt (see incusops --help)\n");
  const id = await cli(daemon.path, ["show", "not-an-id"]);
  assertEquals(id.code, ExitCode.Usage);
  assertEquals(
    id.stderr,
    'incusops: invalid operation id "not-an-id": expected a UUID such as ' +
      '"9a8b7c6d-1234-4abc-9def-0123456789ab" (see incusops --help)\n',
  );
});

Deno.test("cli list <remote>: lists that remote of config.yml, or fails naming it", async () => {
  await using local = await FakeDaemon.start();
  await using other = await FakeDaemon.start();
  const mine = local.createOperation({ description: "on local" });
  const theirs = other.createOperation({ description: "on other" });
  const dir = await Deno.makeTempDir({ prefix: "incusops-conf-" });
  try {
    await Deno.writeTextFile(
      `${dir}/config.yml`,
      `default-remote: mine\nremotes:\n  mine:\n    addr: unix://${local.path}\n` +
        `  other:\n    addr: unix://${other.path}\n`,
    );
    const env = { INCUS_CONF: dir, HOME: dir };
    const incusops = (...args: string[]) => spawnCli(args, { env });
    const listed = await incusops("list", "other:", "--format", "json");
    assertEquals(listed.code, 0, listed.stderr);
    assertEquals(JSON.parse(listed.stdout).map((op: { id: string }) => op.id), [theirs.id]);
    const byDefault = await incusops("list", "--format", "json");
    assertEquals(JSON.parse(byDefault.stdout).map((op: { id: string }) => op.id), [mine.id]);
    const unknown = await incusops("list", "lxd:");
    assertEquals(unknown.code, ExitCode.Connection);
    assertStringIncludes(unknown.stderr, 'remote "lxd": not in');
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ExitCode: the docs show each field's number (a literal type), not `number`", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", "--import-map", MAP, MAIN],
  }).output();
  const doc = JSON.parse(new TextDecoder().decode(output.stdout));
  const symbols = Object.values(doc.nodes).flatMap((module) => (module as { symbols: [] }).symbols);
  const node = symbols.find((symbol: { name: string }) => symbol.name === "ExitCode")!;
  const { properties } =
    (node as { declarations: [{ def: { tsType: { value: { properties: [] } } } }] })
      .declarations[0].def.tsType.value;
  const shown = Object.fromEntries(
    properties.map((p: { name: string; tsType: { repr: string } }) => [p.name, p.tsType.repr]),
  );
  assertEquals(shown, Object.fromEntries(Object.entries(ExitCode).map(([k, v]) => [k, `${v}`])));
});

Deno.test("cli list --remote a,b --remote-timeout 300ms: a stalled remote is named after 300 ms, the other listed", async () => {
  await using up = await FakeDaemon.start();
  const op = up.createOperation();
  await using stalled = misbehaving(async (conn) => {
    await readHead(conn);
    await conn.read(new Uint8Array(1)); // until the client gives up and closes
  });
  const dir = await Deno.makeTempDir({ prefix: "incusops-conf-" });
  try {
    await Deno.writeTextFile(
      `${dir}/config.yml`,
      `remotes:\n  up:\n    addr: unix://${up.path}\n  stalled:\n    addr: unix://${stalled.path}\n`,
    );
    const args = ["list", "--remote", "up,stalled", "--remote-timeout", "300ms", "--format", "csv"];
    const { code, stdout, stderr } = await spawnCli(args, { env: { INCUS_CONF: dir, HOME: dir } });
    assertEquals(code, ExitCode.Partial, stderr);
    assertStringIncludes(stdout, `up,${op.id},`);
    assertStringIncludes(
      stderr,
      "stalled: not heard from: remote stalled did not finish within 300 ms",
    );
    const single = await cli(up.path, ["list", "--remote-timeout", "1s"]);
    assertEquals(single.code, ExitCode.Usage);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
