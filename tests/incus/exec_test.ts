/**
 * The pure parts of exec (request bodies, names, secrets, status, signals)
 * and what a daemon's silent sockets or never-ending operation must not hang.
 */

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { InvalidArgumentError, OperationTimeoutError, ProtocolError } from "../../mod.ts";
import { withoutSecrets } from "../../src/incus/secrets.ts";
import { execBody, execStatus, instanceName, signalNumber } from "../../src/incus/exec_options.ts";
import { outcome } from "../faults/_bounded.ts";
import { ManualClock, onClock } from "../_clock.ts";
import { DRAIN_MS } from "../../src/incus/exec_streams.ts";
import type { Operation } from "../../mod.ts";
import { fake } from "../_fake.ts";

const operation = (metadata: Record<string, unknown>): Operation => ({
  id: "8d8c6c41-4b5e-4ed5-b8b3-5ba1c3b0f1a2",
  class: "websocket",
  description: "Executing command",
  created_at: "",
  updated_at: "",
  status: "Success",
  status_code: 200,
  resources: null,
  metadata,
  may_cancel: false,
  err: "",
  location: "none",
});

Deno.test("execBody maps every option and checks the command", () => {
  assertEquals(
    execBody(["sh", "-c", "x"], { env: { A: "1" }, cwd: "/tmp", user: 1, group: 2 }, {
      waitForWebsocket: true,
      recordOutput: false,
    }),
    {
      command: ["sh", "-c", "x"],
      environment: { A: "1" },
      "wait-for-websocket": true,
      "record-output": false,
      interactive: false,
      cwd: "/tmp",
      user: 1,
      group: 2,
    },
  );
  const mode = { waitForWebsocket: false, recordOutput: true };
  for (const bad of [[], "ls", [1], ["ok", null]]) {
    assertThrows(() => execBody(bad as string[], {}, mode), InvalidArgumentError);
  }
});

Deno.test("instanceName refuses anything that could leave the instance path", () => {
  assertEquals(instanceName("c1-web"), "c1-web");
  for (const bad of ["../c1", "c1/exec", "c1?x", "", " c1", "c1#", "-c1", "é", 7, "a".repeat(64)]) {
    assertThrows(() => instanceName(bad), InvalidArgumentError);
  }
});

Deno.test("withoutSecrets masks every fd secret; execStatus reads metadata.return", () => {
  const op = operation({ fds: { "0": "s0", control: "sc" }, return: 3 });
  assertEquals(withoutSecrets(op).metadata, { fds: { "0": "***", control: "***" }, return: 3 });
  assertEquals(op.metadata?.fds, { "0": "s0", control: "sc" }, "the original is untouched");
  const status = execStatus(op);
  assertEquals([status.exitCode, status.success], [3, false]);
  assertEquals(JSON.stringify(status).includes("s0"), false);
  assertEquals(execStatus(operation({ return: 0 })).success, true);
});

Deno.test("exec and websocket with bad input send nothing", async () => {
  await using t = await fake();
  const { daemon, client } = t;
  const before = daemon.requests.length;
  await assertRejects(() => client.exec("../x", ["true"]), InvalidArgumentError);
  await assertRejects(() => client.exec("c1", []), InvalidArgumentError);
  await assertRejects(() => client.execRecorded("c1/x", ["true"]), InvalidArgumentError);
  await assertRejects(
    () => client.operations.websocket("../instances", "secret"),
    InvalidArgumentError,
  );
  await assertRejects(
    () => client.operations.websocket("8d8c6c41-4b5e-4ed5-b8b3-5ba1c3b0f1a2", ""),
    InvalidArgumentError,
  );
  assertEquals(daemon.requests.length, before);
});

Deno.test("exec: an operation offering no usable websockets is a ProtocolError naming it (it was sent)", async () => {
  await using t = await fake();
  const { daemon, client } = t;
  const offers: unknown[] = [undefined, {}, { "0": "s0" }, { "0": "s0", control: 7 }, {
    "0": "s0",
    control: "sc",
    "../x": "s",
  }];
  for (const fds of offers) {
    let id = "";
    daemon.interceptor = () => {
      const op = daemon.createOperation({ class: "websocket", metadata: { fds } });
      id = op.id;
      return created(op);
    };
    const error = await assertRejects(() => client.exec("c1", ["true"]), ProtocolError);
    assertStringIncludes(error.message, id);
    assertStringIncludes(error.message, "no usable websockets");
    assertEquals([error.method, error.status], ["POST", 202]);
  }
});

/** The daemon's answer (202, async) that starts `op`. */
function created(op: { id: string }): Response {
  return Response.json({
    type: "async",
    status: "Operation created",
    status_code: 100,
    operation: `/1.0/operations/${op.id}`,
    metadata: op,
  }, { status: 202 });
}

/** Answers the next exec POST with a websocket operation whose sockets never speak. */
function silentExec(daemon: Awaited<ReturnType<typeof fake>>["daemon"]): { id: string } {
  const started = { id: "" };
  daemon.interceptor = (request) => {
    if (request.method !== "POST") return undefined;
    daemon.interceptor = undefined;
    const silent = () => {};
    const op = daemon.createOperation({
      websockets: { "0": silent, "1": silent, "2": silent, control: silent },
    });
    started.id = op.id;
    return created(op);
  };
  return started;
}

Deno.test("exec: the operation succeeded but its output sockets stay silent: status and output() settle after DRAIN_MS", async () => {
  const clock = new ManualClock();
  await using t = await fake({ client: onClock(clock) });
  const { daemon, client } = t;
  const started = silentExec(daemon);
  await using run = await client.exec("c1", ["true"]);
  const output = run.output(); // its reads are waiting before the operation ends
  daemon.finish(started.id, { status: "Success", metadata: { return: 0 } });
  const status = await clock.run(run.status, 100);
  assertEquals(status.value?.exitCode, 0);
  assert(status.at >= DRAIN_MS, `settled at ${status.at} ms, before the drain`);
  const { value } = await clock.run(output, 100);
  assertEquals([value?.exitCode, value?.stdoutText], [0, ""]);
});

Deno.test("exec: `await using` with no signal settles DRAIN_MS after the kill when the operation never ends; status says why", async () => {
  const clock = new ManualClock();
  await using t = await fake({ client: onClock(clock) });
  const { daemon, client } = t;
  silentExec(daemon);
  const run = await client.exec("c1", ["sleep", "60"]);
  const disposed = await clock.run(run[Symbol.asyncDispose](), 100); // the kill goes unheard
  assert(disposed.ok && disposed.at >= DRAIN_MS, `disposed at ${disposed.at} ms`);
  const error = await outcome(run.status) as OperationTimeoutError;
  assertInstanceOf(error, OperationTimeoutError);
  assertEquals(error.id, run.id);
});

Deno.test("exec: Deno.Command's stdin names and non-inputs are refused before anything is sent", async () => {
  await using t = await fake();
  const { daemon, client } = t;
  const before = daemon.requests.length;
  for (const stdin of ["pipe", "inherit", 7, {}]) {
    const error = await assertRejects(
      () => client.exec("c1", ["cat"], { stdin: stdin as string }),
      InvalidArgumentError,
    );
    assertStringIncludes(error.message, '"piped"');
  }
  assertEquals(daemon.requests.length, before);
  const echoed = await (await client.exec("c1", ["cat"], {
    stdin: new TextEncoder().encode("pipe"),
  })).output();
  assertEquals(echoed.stdoutText, "pipe"); // the word itself, as bytes
});

Deno.test("exec: kill() takes signal names as Deno.Signal spells them, and refuses others", async () => {
  assertEquals(
    ["SIGHUP", "SIGKILL", "SIGTERM", "TERM", "SIGWINCH", 9, 64].map(signalNumber),
    [1, 9, 15, 15, 28, 9, 64],
  );
  for (const bad of ["SIGINFO", "sigterm", "", "9", 0, 65, 1.5, NaN, null, true, {}]) {
    assertThrows(() => signalNumber(bad), InvalidArgumentError);
  }
  await using t = await fake();
  for (const [signal, code] of [["SIGTERM", 143], [undefined, 143], ["SIGKILL", 137]] as const) {
    await using run = await t.client.exec("c1", ["sleep", "60"]);
    run.kill(signal);
    assertEquals((await run.status).exitCode, code);
  }
});
