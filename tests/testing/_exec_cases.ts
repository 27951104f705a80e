/**
 * One table of exec cases, run with the same assertions on the fake daemon
 * (both flavors: tests/testing/fake_exec_test.ts) and on the real Incus and
 * LXD daemons (tests/integration/fake_parity_test.ts): what the fake
 * answers is what the daemons answer.
 */

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import {
  type Client,
  ConnectionError,
  IncusError,
  NotCancellableError,
  type Operation,
  OperationFailedError,
} from "../../mod.ts";

/** Where a case runs: a connected client and the daemon's flavor. */
export interface ExecTarget {
  /** "incus" or "lxd" (the fake's flavor, or the real daemon). */
  flavor: "incus" | "lxd";
  /** A client on the daemon. */
  client: Client;
  /** A running instance. */
  instance: string;
  /** Makes a stopped instance; resolves with its name. */
  stoppedInstance(): Promise<string>;
}

/** One case: a name and its assertions. */
export interface ExecCase {
  name: string;
  run(target: ExecTarget): Promise<void>;
}

const encoder = new TextEncoder();

/** Reads `stream` until its text so far contains `text`; resolves with it. */
async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  text: string,
  seen = "",
): Promise<string> {
  const decoder = new TextDecoder();
  while (!seen.includes(text)) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`the stream ended before ${JSON.stringify(text)}: ${seen}`);
    seen += decoder.decode(value);
  }
  return seen;
}

/** The exec behaviours users test, with the daemons' answers. */
export const EXEC_CASES: ExecCase[] = [
  {
    name: "exec echo: stdout, exit 0, a websocket operation with masked secrets",
    async run({ client, instance, flavor }) {
      const output = await (await client.exec(instance, ["echo", "hi"])).output();
      assertEquals([output.exitCode, output.success], [0, true]);
      assertEquals([output.stdoutText, output.stderrText], ["hi\n", ""]);
      const op = output.operation;
      assertEquals([op.status, op.class, op.may_cancel, op.err], [
        "Success",
        "websocket",
        false,
        "",
      ]);
      assertEquals(Object.keys(op.metadata?.fds as object).sort(), ["0", "1", "2", "control"]);
      assert(Object.values(op.metadata?.fds as object).every((secret) => secret === "***"));
      assertEquals(op.metadata?.command, ["echo", "hi"]);
      assertEquals(op.metadata?.interactive, false);
      assertEquals((op.metadata?.environment as Record<string, string>).HOME, "/root");
      assertEquals(
        op.resources,
        flavor === "incus" ? { instances: [`/1.0/instances/${instance}`] } : {
          containers: [`/1.0/containers/${instance}`],
          instances: [`/1.0/instances/${instance}`],
        },
      );
    },
  },
  {
    name: "sh -c: exit codes and separate stderr",
    async run({ client, instance }) {
      const run = await client.exec(instance, ["sh", "-c", "echo out; echo err >&2; exit 3"]);
      const output = await run.output();
      assertEquals([output.exitCode, output.success], [3, false]);
      assertEquals([output.stdoutText, output.stderrText], ["out\n", "err\n"]);
      for (
        const [command, code] of [[["true"], 0], [["false"], 1], [["sh", "-c", "exit 300"], 44]]
      ) {
        const status = await (await client.exec(instance, command as string[])).status;
        assertEquals(status.exitCode, code, `${command}`);
      }
    },
  },
  {
    name: "sh -c: quoting, variables, $?, && and ||, env and cwd",
    async run({ client, instance }) {
      const script = `echo "$FOO" 'a  b'; false; echo $?; false && echo no || echo yes; pwd`;
      const run = await client.exec(instance, ["sh", "-c", script], {
        env: { FOO: "bar baz" },
        cwd: "/tmp",
      });
      assertEquals((await run.output()).stdoutText, "bar baz a  b\n1\nyes\n/tmp\n");
      const plain = await (await client.exec(instance, ["echo", "-n", "x", ""])).output();
      assertEquals(plain.stdoutText, "x ");
    },
  },
  {
    name: "cat: stdin piped by stream and by value, binary safe",
    async run({ client, instance }) {
      const run = await client.exec(instance, ["cat"], { stdin: "piped" });
      const writer = run.stdin.getWriter();
      await writer.write(encoder.encode("first\n"));
      await writer.write(encoder.encode("second\n"));
      await writer.close();
      assertEquals((await run.output()).stdoutText, "first\nsecond\n");
      const every = new Uint8Array(256 * 4).map((_, i) => i % 256);
      const echoed = await (await client.exec(instance, ["cat"], { stdin: every })).output();
      assertEquals(echoed.stdout, every);
    },
  },
  {
    name: "execRecorded: the recorded output and exit code, logs deleted after",
    async run({ client, instance, flavor }) {
      const output = await client.execRecorded(instance, ["echo", "hi"]);
      assertEquals([output.exitCode, output.stdoutText, output.stderrText], [0, "hi\n", ""]);
      const failed = await client.execRecorded(instance, [
        "sh",
        "-c",
        "echo o; echo e >&2; exit 2",
      ]);
      assertEquals([failed.exitCode, failed.stdoutText, failed.stderrText], [2, "o\n", "e\n"]);
      const op = failed.operation;
      assertEquals([op.class, op.may_cancel, op.status], ["task", false, "Success"]);
      const logs = op.metadata?.output as Record<string, string>;
      const dir = flavor === "incus"
        ? `/1.0/instances/${instance}/logs/exec-output/`
        : `/1.0/instances/${instance}/logs/`;
      assertEquals(logs, { "1": `${dir}exec_${op.id}.stdout`, "2": `${dir}exec_${op.id}.stderr` });
      for (const path of Object.values(logs)) {
        const error = await assertRejects(() => client.query(path), IncusError);
        assertEquals(error.status, flavor === "incus" ? 404 : 500);
        assertStringIncludes(error.message, "no such file or directory");
      }
    },
  },
  {
    name: "a missing command: the operation fails with Command not found, return 127",
    async run({ client, instance }) {
      const run = await client.exec(instance, ["no-such-command"]);
      const error = await assertRejects(() => run.status, OperationFailedError);
      assertEquals(error.err, "Command not found");
      const final = error.operation as Operation | undefined;
      if (final !== undefined) assertEquals(final.metadata?.return, 127);
      const recorded = await assertRejects(
        () => client.execRecorded(instance, ["sh", "-c", "exit 126"]),
        OperationFailedError,
      );
      assertEquals(recorded.err, "Command not executable");
      const scripted = await assertRejects(
        () => client.execRecorded(instance, ["sh", "-c", "no-such-command x"]),
        OperationFailedError,
      );
      assertEquals(scripted.err, "Command not found");
    },
  },
  {
    name: "signals: kill(15) ends sleep with 143; an abort kills it (137) and rejects",
    async run({ client, instance }) {
      const run = await client.exec(instance, ["sleep", "30"]);
      run.kill(15);
      assertEquals((await run.status).exitCode, 143);
      const controller = new AbortController();
      const killed = await client.exec(instance, ["sleep", "30"], { signal: controller.signal });
      const reason = new Error("enough");
      controller.abort(reason);
      assertEquals(await killed.status.catch((error) => error), reason);
      const final = await client.operations.wait(killed.id);
      assertEquals([final.status, final.metadata?.return], ["Success", 137]);
    },
  },
  {
    name: "close(): dropping the control socket kills the command (137)",
    async run({ client, instance }) {
      const run = await client.exec(instance, ["sleep", "30"]);
      run.close();
      await run.status.catch(() => {});
      const final = await client.operations.wait(run.id);
      assertEquals([final.status, final.metadata?.return], ["Success", 137]);
    },
  },
  {
    name: "interactive: one terminal socket, its size, window-resize, exit code",
    async run({ client, instance }) {
      const shell = await client.exec(instance, ["sh"], {
        interactive: true,
        width: 100,
        height: 30,
        stdin: "piped",
      });
      const writer = shell.stdin.getWriter();
      const reader = shell.stdout.getReader();
      await writer.write(encoder.encode("stty size\n"));
      let seen = await readUntil(reader, "30 100\r\n");
      shell.resize(120, 40);
      await writer.write(encoder.encode("stty size; exit 5\n"));
      seen = await readUntil(reader, "40 120\r\n", seen);
      writer.releaseLock();
      reader.releaseLock();
      const output = await shell.output();
      assertEquals(output.exitCode, 5);
      assertEquals(output.stderr.length, 0);
      const fds = output.operation.metadata?.fds as Record<string, string>;
      assertEquals(Object.keys(fds).sort(), ["0", "control"]);
    },
  },
  {
    name: "a task exec (no websockets): not cancellable, metadata.return, resources",
    async run({ client, instance, flavor }) {
      const op = await client.query<Operation>(`/1.0/instances/${instance}/exec`, {
        method: "POST",
        body: { command: ["sleep", "0.2"], "wait-for-websocket": false },
      });
      assertEquals([op.class, op.may_cancel, op.metadata, op.status], [
        "task",
        false,
        null,
        "Running",
      ]);
      const url = flavor === "incus" ? `/1.0/instances/${instance}` : `/1.0/containers/${instance}`;
      assertEquals(op.resources, { containers: [url], instances: [`/1.0/instances/${instance}`] });
      await assertRejects(() => client.operations.cancel(op.id), NotCancellableError);
      const final = await client.operations.wait(op.id);
      assertEquals([final.status, final.metadata], ["Success", { return: 0 }]);
    },
  },
  {
    name: "a missing or stopped instance: 404 and 400 as the daemons answer",
    async run({ client, instance, flavor, stoppedInstance }) {
      const missing = await assertRejects(() => client.exec("no-such-c9", ["true"]), IncusError);
      assertEquals(missing.status, 404);
      assertStringIncludes(missing.message, "Instance not found");
      if (flavor === "incus") {
        assertStringIncludes(missing.message, `Failed to fetch instance "no-such-c9"`);
      }
      const stopped = await stoppedInstance();
      const error = await assertRejects(() => client.execRecorded(stopped, ["true"]), IncusError);
      assertEquals(error.status, 400);
      assertStringIncludes(error.message, "Instance is not running");
      const body = { command: ["true"], "wait-for-websocket": true, "record-output": true };
      const both = client.query<Operation>(`/1.0/instances/${instance}/exec`, {
        method: "POST",
        body,
      });
      if (flavor === "incus") {
        const refused = await assertRejects(() => both, IncusError);
        assertEquals(refused.status, 400);
      } else {
        assertEquals((await both).class, "websocket"); // LXD 5.0 accepts it
      }
    },
  },
  {
    name: "operation websockets: a wrong secret is refused (403 Incus, 500 LXD)",
    async run({ client, instance, flavor }) {
      const op = await client.query<Operation>(`/1.0/instances/${instance}/exec`, {
        method: "POST",
        body: { command: ["true"], "wait-for-websocket": true },
      });
      const error = await assertRejects(
        () => client.operations.websocket(op.id, "f".repeat(64)),
        ConnectionError,
      );
      assertEquals(error.status, flavor === "incus" ? 403 : 500);
      // Connect for real so the command runs and the operation ends.
      const fds = op.metadata?.fds as Record<string, string>;
      const sockets = await Promise.all(
        ["0", "1", "2"].map((fd) => client.operations.websocket(op.id, fds[fd])),
      );
      sockets[0].send("");
      const final = await client.operations.wait(op.id);
      assertEquals([final.status, final.metadata?.return], ["Success", 0]);
      for (const socket of sockets) socket.close();
      await Promise.all(
        sockets.map((socket) =>
          socket.readyState === WebSocket.CLOSED
            ? undefined
            : new Promise((resolve) => socket.addEventListener("close", resolve))
        ),
      );
      const late = await assertRejects(
        () => client.operations.websocket(op.id, fds.control),
        ConnectionError,
      );
      assertEquals(late.status, 500, "Only running operations can be connected");
    },
  },
  {
    name: "operation websockets: an exec read and written through operations.websocket()",
    async run({ client, instance }) {
      const op = await client.query<Operation>(`/1.0/instances/${instance}/exec`, {
        method: "POST",
        body: { command: ["cat"], "wait-for-websocket": true, interactive: false },
      });
      const fds = op.metadata?.fds as Record<string, string>;
      const sockets = await Promise.all(
        ["0", "1", "2", "control"].map((fd) => client.operations.websocket(op, fds[fd])),
      );
      const closed = sockets.map((socket) =>
        new Promise<CloseEvent>((resolve) => socket.onclose = resolve)
      );
      // Each output: bytes (ArrayBuffer messages) until an empty text message.
      const [out, err] = sockets.slice(1, 3).map((socket) =>
        new Promise<string>((resolve) => {
          const decoder = new TextDecoder();
          let text = "";
          socket.onmessage = ({ data }) => {
            if (typeof data === "string") return resolve(text);
            assertInstanceOf(data, ArrayBuffer);
            text += decoder.decode(data, { stream: true });
          };
        })
      );
      sockets[0].send(encoder.encode("bytes in\n"));
      sockets[0].send(""); // the end of input
      assertEquals([await out, await err], ["bytes in\n", ""]);
      const final = await client.operations.wait(op.id);
      assertEquals([final.status, final.metadata?.return], ["Success", 0]);
      for (const socket of sockets) socket.close();
      for (const event of await Promise.all(closed)) assertInstanceOf(event, CloseEvent);
      assertEquals(sockets.map((socket) => socket.readyState), [3, 3, 3, 3]);
    },
  },
  {
    name: "instance operations (create, start, stop, delete): not cancellable, resources, failures",
    async run({ client, flavor }) {
      const name = `lc-${crypto.randomUUID().slice(0, 8)}`;
      const post = (path: string, method: "POST" | "PUT" | "DELETE", body?: unknown) =>
        client.query<Operation>(path, { method, body });
      const instances = [`/1.0/instances/${name}`];
      const withContainers: Record<string, string[]> = flavor === "incus"
        ? { instances }
        : { containers: [`/1.0/containers/${name}`], instances };
      const steps: [string, "POST" | "PUT", unknown, string, Record<string, string[]>][] = [
        [
          "/1.0/instances",
          "POST",
          { name, source: { type: "image", alias: "busybox" } },
          "Creating instance",
          withContainers,
        ],
        [`/1.0/instances/${name}/state`, "PUT", { action: "start" }, "Starting instance", {
          instances,
        }],
        [
          `/1.0/instances/${name}/state`,
          "PUT",
          { action: "stop", force: true },
          "Stopping instance",
          { instances },
        ],
      ];
      try {
        for (const [path, method, body, description, resources] of steps) {
          const op = await post(path, method, body);
          assertEquals([op.description, op.class, op.may_cancel, op.metadata], [
            description,
            "task",
            false,
            null,
          ]);
          assertEquals(op.resources, resources);
          await assertRejects(() => client.operations.cancel(op.id), NotCancellableError);
          assertEquals((await client.operations.wait(op.id)).status, "Success");
        }
        const again = await post(`/1.0/instances/${name}/state`, "PUT", { action: "stop" });
        const error = await assertRejects(
          () => client.operations.wait(again.id),
          OperationFailedError,
        );
        assertEquals(error.err, "The instance is already stopped");
      } finally {
        const deleting = await post(`/1.0/instances/${name}`, "DELETE");
        assertEquals([deleting.description, deleting.resources], [
          "Deleting instance",
          withContainers,
        ]);
        await client.operations.wait(deleting.id);
      }
      await assertRejects(() => client.query(`/1.0/instances/${name}`), IncusError);
    },
  },
];

/** Asserts the never-connected exec fails as the daemons fail it. */
export async function assertConnectTimeout(target: ExecTarget): Promise<void> {
  const op = await target.client.query<Operation>(`/1.0/instances/${target.instance}/exec`, {
    method: "POST",
    body: { command: ["true"], "wait-for-websocket": true },
  });
  const error = await assertRejects(
    () => target.client.operations.wait(op.id),
    OperationFailedError,
  );
  assertEquals(error.err, "Timed out waiting for websockets to connect");
  assertInstanceOf(error, OperationFailedError);
}
