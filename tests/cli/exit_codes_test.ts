/**
 * The CLI's exit codes: one table (`EXIT_CODES`), printed by `--help` and
 * equal to the docs' table; the exit code of each error class, one class at
 * a time (the suites on the fake and the real daemons prove how each
 * arises).
 */

import { assertEquals, assertStringIncludes } from "@std/assert";
import { UsageError } from "../../src/cli/args.ts";
import { describeFailure, EXIT_CODES, ExitCode } from "../../src/cli/exit_codes.ts";
import { USAGE } from "../../src/cli/commands.ts";
import {
  ConnectionError,
  IncusError,
  InvalidArgumentError,
  NotCancellableError,
  OperationCancelledError,
  OperationFailedError,
  OperationNotFoundError,
  OperationTimeoutError,
  ProtocolError,
  ResponseTimeoutError,
} from "../../mod.ts";

const ID = "9a8b7c6d-1234-4abc-9def-0123456789ab";
const request = { status: 0, method: "GET", path: "/1.0/operations", endpoint: "/x.socket" };

Deno.test("describeFailure: each error class has its exit code", () => {
  const cases: [unknown, number][] = [
    [new UsageError("bad"), ExitCode.Usage],
    [new InvalidArgumentError("bad id"), ExitCode.Usage],
    [new OperationTimeoutError(ID, 500), ExitCode.Timeout],
    [new DOMException("timed out", "TimeoutError"), ExitCode.Timeout],
    [new ConnectionError("cannot reach", request), ExitCode.Connection],
    [new ResponseTimeoutError("no answer", request), ExitCode.Connection],
    [new Deno.errors.NotCapable('Requires env access to "HOME"'), ExitCode.Connection],
    [new ProtocolError("not JSON", { ...request, status: 200 }), ExitCode.Protocol],
    [new OperationFailedError(ID, "boom"), ExitCode.Failed],
    [new OperationCancelledError(ID), ExitCode.Failed],
    [new IncusError("forbidden", { status: 403, method: "GET", path: "/1.0" }), ExitCode.Failed],
    [new OperationNotFoundError(ID, "not found", { status: 404 }), ExitCode.Failed],
    [new NotCancellableError(ID, "cannot be cancelled", { status: 400 }), ExitCode.Failed],
    [new Error("anything else"), ExitCode.Failed],
  ];
  for (const [error, code] of cases) {
    assertEquals(describeFailure(error).code, code, String(error));
  }
  assertEquals(
    [ExitCode.Ok, ExitCode.Failed, ExitCode.Usage, ExitCode.Timeout, ExitCode.Connection],
    [0, 1, 2, 3, 4],
  );
  assertEquals(ExitCode.Protocol, 5);
});

Deno.test("describeFailure: messages name the fix — raise --timeout, the flag, the refused request", () => {
  assertStringIncludes(describeFailure(new OperationTimeoutError(ID, 500)).message, "--timeout");
  assertStringIncludes(describeFailure(new UsageError("bad")).message, "incusops --help");
  assertStringIncludes(
    describeFailure(new Deno.errors.NotCapable("run again with the --allow-env flag")).message,
    "--allow-env",
  );
  const refused = new IncusError("not found", { status: 404, method: "GET", path: "/1.0/nope" });
  assertEquals(describeFailure(refused).message, "GET /1.0/nope: not found");
});

/** The rows of the table between the exit-codes markers of README.md or docs/cli.md. */
async function docsTable(): Promise<string[][]> {
  for (const file of ["README.md", "docs/cli.md"]) {
    const text = await Deno.readTextFile(new URL(`../../${file}`, import.meta.url));
    const table = /<!-- exit-codes -->\n([\s\S]*?)<!-- \/exit-codes -->/.exec(text)?.[1];
    if (table === undefined) continue;
    return table.split("\n").filter((line) => line.startsWith("|")).slice(2)
      .map((line) => line.slice(1, -1).split("|").map((cell) => cell.trim()));
  }
  throw new Error("no table between <!-- exit-codes --> markers in README.md or docs/cli.md");
}

Deno.test("exit codes: one table, every code of ExitCode; --help prints it; the docs' table is it", async () => {
  assertEquals(EXIT_CODES.map((row) => row.code), Object.values(ExitCode));
  const help = USAGE.slice(USAGE.indexOf("Exit codes:\n"));
  for (const row of EXIT_CODES) {
    assertStringIncludes(
      help.replace(/\n {5}/g, " "),
      `  ${row.code}  ${row.when.replaceAll("`", "")}\n`,
    );
  }
  assertEquals(await docsTable(), EXIT_CODES.map((row) => [`${row.code}`, row.when, row.errors]));
});
