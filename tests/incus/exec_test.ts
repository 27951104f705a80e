/** The pure parts of exec: request bodies, names, secrets, status. */

import { assertEquals, assertRejects, assertStringIncludes, assertThrows } from "@std/assert";
import { InvalidArgumentError, ProtocolError } from "../../mod.ts";
import { execBody, execStatus, instanceName, withoutSecrets } from "../../src/incus/exec.ts";
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
      return Response.json({
        type: "async",
        status: "Operation created",
        status_code: 100,
        operation: `/1.0/operations/${op.id}`,
        metadata: op,
      }, { status: 202 });
    };
    const error = await assertRejects(() => client.exec("c1", ["true"]), ProtocolError);
    assertStringIncludes(error.message, id);
    assertStringIncludes(error.message, "no usable websockets");
    assertEquals([error.method, error.status], ["POST", 202]);
  }
});
