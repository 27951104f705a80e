/**
 * A new user's slips on the command line (issue 26 §6) get one clear
 * error: an unknown option is named once, a bad id says what an id looks
 * like; `ExitCode` documents each code's number.
 */

import { assertEquals } from "@std/assert";
import { ExitCode } from "../../src/cli/exit_codes.ts";
import { FakeDaemon } from "../../src/testing/mod.ts";
import { cli, MAIN, MAP } from "../_cli.ts";

Deno.test("cli slips: an unknown option named once, a bad id said plainly", async () => {
  await using daemon = await FakeDaemon.start();
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
