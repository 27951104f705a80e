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
import { closeWebSocket } from "../../src/core/websocket.ts";

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

Deno.test("host safety: await using or kill() on cat with piped stdin never leaves an unhandled rejection", async () => {
  await using daemon = await FakeDaemon.start();
  await using client = connect({ socket: daemon.path });
  for (const end of ["dispose", "kill"]) {
    await using run = await client.exec("c1", ["cat"], { stdin: "piped" });
    const writer = run.stdin.getWriter();
    await writer.write(encoder.encode("hi\n"));
    const reader = run.stdout.getReader();
    assertEquals((await reader.read()).value, encoder.encode("hi\n")); // cat is reading stdin
    reader.releaseLock();
    if (end === "kill") {
      run.kill("SIGKILL");
      assertEquals((await run.status).exitCode, 137);
    }
  } // an unhandled rejection ("stream controller cannot close") would fail this test
});

Deno.test("host safety: null, numbers and arrays on the control socket are ignored", async () => {
  await using daemon = await FakeDaemon.start();
  await using client = connect({ socket: daemon.path });
  const op = await client.query<Operation>("/1.0/instances/c1/exec", {
    method: "POST",
    body: { command: ["sleep", "60"], "wait-for-websocket": true },
  });
  const fds = op.metadata?.fds as Record<string, string>;
  const sockets = await Promise.all(
    ["0", "1", "2", "control"].map((fd) => client.operations.websocket(op, fds[fd])),
  );
  const control = sockets[3];
  for (const message of ["null", "7", "[]", '"signal"']) control.send(message);
  control.send(JSON.stringify({ command: "signal", signal: 9 })); // still obeyed after them
  const final = await client.operations.wait(op.id).catch((error) => error.operation);
  assertEquals(final.metadata.return, 137);
  await Promise.all(sockets.map((socket) => closeWebSocket(socket)));
});

Deno.test("host safety: /bin/constructor and other Object.prototype names are no commands", async () => {
  await using daemon = await FakeDaemon.start();
  await using client = connect({ socket: daemon.path });
  for (const name of ["/bin/constructor", "toString", "/usr/bin/__proto__"]) {
    const error = await assertRejects(
      () => client.execRecorded("c1", [name]),
      OperationFailedError,
    );
    assertStringIncludes(error.message, "Command not found");
  }
});

Deno.test("close(): a client that never answers the websocket close does not hold it", async () => {
  const daemon = await FakeDaemon.start();
  const conn = await Deno.connect({ transport: "unix", path: daemon.path });
  await conn.write(encoder.encode(
    "GET /1.0/events HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
  ));
  const head = new Uint8Array(1024);
  await conn.read(head); // 101, then the client reads nothing more and never closes
  assertStringIncludes(new TextDecoder().decode(head), "101");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise((resolve) => timer = setTimeout(() => resolve("hung"), 15_000));
  assertEquals(await Promise.race([daemon.close().then(() => "closed"), hang]), "closed");
  clearTimeout(timer);
  conn.close();
});
