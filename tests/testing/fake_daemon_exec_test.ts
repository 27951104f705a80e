/**
 * What only the fake has: scripted commands, instances in projects,
 * websocket operations of your own, closing with commands running. The
 * behaviours the daemons share are in the exec table (fake_exec_test.ts).
 */

import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import {
  connect,
  ConnectionError,
  IncusError,
  type Operation,
  OperationFailedError,
} from "../../mod.ts";
import { type FakeCommand, FakeDaemon } from "../../src/testing/mod.ts";

const encoder = new TextEncoder();

Deno.test("commands: a scripted command reads stdin, writes both outputs, sets the exit code", async () => {
  const shout: FakeCommand = async ({ args, stdin, write, writeError, env, instance }) => {
    for await (const chunk of stdin) write(new TextDecoder().decode(chunk).toUpperCase());
    writeError(`${instance} ${env.GREETING} ${args.join(",")}\n`);
    return 4;
  };
  await using daemon = await FakeDaemon.start({ commands: { shout } });
  await using client = connect({ socket: daemon.path });
  const output = await (await client.exec("c1", ["shout", "a", "b"], {
    stdin: "hello\n",
    env: { GREETING: "hi" },
  })).output();
  assertEquals([output.exitCode, output.stdoutText, output.stderrText], [
    4,
    "HELLO\n",
    "c1 hi a,b\n",
  ]);
  // From a script too, with its redirections and $?.
  const scripted = await client.execRecorded("c1", ["sh", "-c", "shout x 2>&1; echo $?"]);
  assertEquals(scripted.stdoutText, "c1 undefined x\n4\n");
});

Deno.test("commands: a thrown error fails the operation with its message; signals abort the command", async () => {
  let aborted: unknown;
  const commands: Record<string, FakeCommand> = {
    broken: () => {
      throw new Error("no such device");
    },
    wait: ({ signal, write }) =>
      new Promise((resolve) => {
        write("ready\n");
        signal.addEventListener("abort", () => {
          aborted = signal.reason;
          resolve(0);
        });
      }),
  };
  await using daemon = await FakeDaemon.start({ commands });
  await using client = connect({ socket: daemon.path });
  const error = await assertRejects(
    () => client.execRecorded("c1", ["broken"]),
    OperationFailedError,
  );
  assertEquals(error.err, "no such device");
  const run = await client.exec("c1", ["wait"]);
  const { value } = await run.stdout.getReader().read(); // started
  assertEquals(new TextDecoder().decode(value), "ready\n");
  run.kill(2);
  assertEquals([(await run.status).exitCode, aborted], [130, 2]);
  const ignored = await client.exec("c1", ["sleep", "0.05"]);
  ignored.kill(28); // SIGWINCH is ignored
  assertEquals((await ignored.status).exitCode, 0);
});

Deno.test("instances: projects in resources (Incus adds ?project=, LXD 5.0 never), unknown projects", async () => {
  const instances = [{ name: "c1" }, { name: "web", project: "p1" }, {
    name: "ice",
    status: "Frozen" as const,
  }];
  for (const flavor of ["incus", "lxd"] as const) {
    await using daemon = await FakeDaemon.start({ flavor, instances });
    await using client = connect({ socket: daemon.path, project: "p1" });
    const run = await client.exec("web", ["true"]);
    const { operation } = await run.status;
    assertEquals(operation.project, "p1");
    assertEquals(
      operation.resources,
      flavor === "incus"
        ? { instances: ["/1.0/instances/web?project=p1"] }
        : { containers: ["/1.0/containers/web"], instances: ["/1.0/instances/web"] },
    );
    const recorded = await client.execRecorded("web", ["echo", "in p1"]);
    assertEquals(recorded.stdoutText, "in p1\n");
    const missing = await assertRejects(
      () => client.exec("c1", ["true"], { project: "nope" }),
      IncusError,
    );
    assertEquals(
      [
        missing.status,
        missing.message.endsWith(flavor === "incus" ? "Project not found" : "Instance not found"),
      ],
      [404, true],
    );
    const frozen = await assertRejects(
      () => client.exec("ice", ["true"], { project: "default" }),
      IncusError,
    );
    assertEquals([frozen.status, frozen.message.endsWith("Instance is frozen")], [400, true]);
    assertEquals(await client.query("/1.0/instances"), ["/1.0/instances/web"]);
  }
});

Deno.test("websockets: an operation of your own with sockets, served to operations.websocket()", async () => {
  await using daemon = await FakeDaemon.start();
  const op = daemon.createOperation({
    description: "Showing console",
    websockets: {
      data: (socket) => socket.addEventListener("message", (event) => socket.send(event.data)),
    },
  });
  assertEquals(op.class, "websocket");
  const secret = (op.metadata?.fds as Record<string, string>).data;
  assertEquals(secret.length, 64);
  await using client = connect({ socket: daemon.path });
  const socket = await client.operations.websocket(op.id, secret);
  const echoed = new Promise<ArrayBuffer>((resolve) =>
    socket.addEventListener("message", (event) => resolve(event.data), { once: true })
  );
  socket.send(encoder.encode("ping"));
  assertEquals(new TextDecoder().decode(await echoed), "ping");
  socket.close();
  await new Promise((resolve) => socket.addEventListener("close", resolve));
  const wrong = await assertRejects(
    () => client.operations.websocket(op.id, "0".repeat(64)),
    ConnectionError,
  );
  assertEquals(wrong.status, 403);
  const task = daemon.createOperation();
  const notWebsocket = await assertRejects(
    () => client.operations.websocket(task.id, secret),
    ConnectionError,
  );
  assertEquals(notWebsocket.status, 500);
  daemon.finish(op.id, { status: "Success" });
  const finished = await assertRejects(
    () => client.operations.websocket(op.id, secret),
    ConnectionError,
  );
  assertEquals(finished.status, 500);
});

Deno.test("close(): running execs (websocket and task) are killed and every socket closed", async () => {
  const daemon = await FakeDaemon.start();
  const client = connect({ socket: daemon.path });
  const run = await client.exec("c1", ["sleep", "60"]);
  const task = await client.query<Operation>("/1.0/instances/c1/exec", {
    method: "POST",
    body: { command: ["sleep", "60"], "wait-for-websocket": false },
  });
  const pending = await client.query<Operation>("/1.0/instances/c1/exec", {
    method: "POST",
    body: { command: ["true"], "wait-for-websocket": true },
  });
  assert(task.id !== pending.id);
  await daemon.close();
  await run.status.catch(() => {});
  await client.close();
});

Deno.test("logs: record-output logs listed and kept with keepLogs, each flavor's layout", async () => {
  for (const flavor of ["incus", "lxd"] as const) {
    await using daemon = await FakeDaemon.start({ flavor });
    await using client = connect({ socket: daemon.path });
    const output = await client.execRecorded("c1", ["echo", "kept"], { keepLogs: true });
    const logs = output.operation.metadata?.output as Record<string, string>;
    const listed = await client.query<string[]>(
      flavor === "incus" ? "/1.0/instances/c1/logs/exec-output" : "/1.0/instances/c1/logs",
    );
    for (const path of Object.values(logs)) assert(listed.includes(path), `${path} in ${listed}`);
    const again = await client.execRecorded("c1", ["cat", "/etc/hostname"]);
    assertEquals([again.exitCode, again.stdoutText], [1, ""]);
    assertStringIncludes(again.stderrText, "No such file or directory");
  }
});
