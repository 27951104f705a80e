/**
 * The CLI's exit code for each error class, as README's table says: the
 * mapping itself, one class at a time (the suites on the fake and the real
 * daemons prove how each arises).
 */

import { assertEquals, assertStringIncludes } from "@std/assert";
import { UsageError } from "../../src/cli/args.ts";
import { describeFailure, ExitCode } from "../../src/cli/exit_codes.ts";
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
