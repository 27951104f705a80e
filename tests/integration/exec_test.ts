/**
 * exec over the operation websockets, and record-output mode, on both real
 * daemons.
 */

import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { ConnectionError, IncusError, InvalidArgumentError } from "../../mod.ts";
import { connectTo, DAEMONS } from "./_daemons.ts";

const encoder = new TextEncoder();

for (const daemon of DAEMONS) {
  const name = daemon.name;
  const c1 = daemon.instance;

  Deno.test(`${name}: exec echo hello → stdout "hello\\n", exit 0`, async () => {
    await using client = connectTo(daemon);
    const run = await client.exec(c1, ["echo", "hello"]);
    const output = await run.output();
    assertEquals([output.exitCode, output.success], [0, true]);
    assertEquals(output.stdoutText, "hello\n");
    assertEquals(output.stderrText, "");
    assertEquals(output.operation.status, "Success");
    const fds = output.operation.metadata?.fds as Record<string, string>;
    assert(Object.values(fds).every((secret) => secret === "***"), "secrets are masked");
  });

  Deno.test(`${name}: exit codes and separated stderr`, async () => {
    await using client = connectTo(daemon);
    assertEquals((await (await client.exec(c1, ["sh", "-c", "exit 3"])).output()).exitCode, 3);
    const output = await (await client.exec(c1, ["sh", "-c", "echo out; echo err >&2"]))
      .output();
    assertEquals([output.stdoutText, output.stderrText], ["out\n", "err\n"]);
  });

  Deno.test(`${name}: stdin piped through cat, by stream and by value`, async () => {
    await using client = connectTo(daemon);
    const run = await client.exec(c1, ["cat"], { stdin: "piped" });
    const writer = run.stdin.getWriter();
    await writer.write(encoder.encode("first\n"));
    await writer.write(encoder.encode("second\n"));
    await writer.close();
    assertEquals((await run.output()).stdoutText, "first\nsecond\n");
    const byValue = await (await client.exec(c1, ["cat"], { stdin: "given\n" })).output();
    assertEquals(byValue.stdoutText, "given\n");
  });

  Deno.test(`${name}: binary safe: all 256 byte values and 10 MB through cat`, async () => {
    await using client = connectTo(daemon);
    const every = new Uint8Array(256 * 4).map((_, i) => i % 256);
    const small = await (await client.exec(c1, ["cat"], { stdin: every })).output();
    assertEquals(small.stdout, every);
    const big = new Uint8Array(10 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 131 + (i >> 11)) & 0xff;
    const chunks = ReadableStream.from(
      Array.from({ length: 160 }, (_, i) => big.subarray(i * 65536, (i + 1) * 65536)),
    );
    const echoed = await (await client.exec(c1, ["cat"], { stdin: chunks })).output();
    assertEquals(echoed.stdout.length, big.length);
    assertEquals(echoed.stdout, big);
  });

  Deno.test(`${name}: env, cwd, user and group`, async () => {
    await using client = connectTo(daemon);
    const output = await (await client.exec(c1, ["sh", "-c", 'echo "$FOO"; pwd; id -u; id -g'], {
      env: { FOO: "bar baz" },
      cwd: "/tmp",
      user: 65534,
      group: 65534,
    })).output();
    assertEquals(output.stdoutText, "bar baz\n/tmp\n65534\n65534\n");
  });

  Deno.test(`${name}: interactive mode with a terminal size and a resize`, async () => {
    await using client = connectTo(daemon);
    const shell = await client.exec(c1, ["sh"], {
      interactive: true,
      width: 100,
      height: 30,
      stdin: "piped",
      env: { TERM: "xterm" },
    });
    const writer = shell.stdin.getWriter();
    const reader = shell.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let terminal = "";
    /** Reads the terminal until `done` holds for what it showed (or it ends). */
    const readUntil = async (done: (text: string) => boolean) => {
      while (!done(terminal)) {
        const chunk = await reader.read();
        if (chunk.done) return;
        terminal += chunk.value;
      }
    };
    const sizes = (text: string) => text.match(/^\d+ \d+\r?$/gm)?.length ?? 0;
    await writer.write(encoder.encode("stty size\n"));
    await readUntil((text) => text.includes("30 100"));
    shell.resize(120, 40);
    // The resize travels on the control socket, the command on stdin: ask until it shows.
    for (let asked = 0; asked < 100 && !terminal.includes("40 120"); asked++) {
      const before = sizes(terminal);
      await writer.write(encoder.encode("stty size\n"));
      await readUntil((text) => sizes(text) > before);
    }
    await writer.write(encoder.encode("exit 5\n"));
    writer.releaseLock();
    await readUntil(() => false);
    assertEquals((await shell.status).exitCode, 5);
    assertStringIncludes(terminal, "30 100");
    assertStringIncludes(terminal, "40 120");
    assertEquals((await new Response(shell.stderr).arrayBuffer()).byteLength, 0);
  });

  Deno.test(`${name}: an aborted signal kills a long command and closes everything`, async () => {
    await using client = connectTo(daemon);
    const controller = new AbortController();
    const run = await client.exec(c1, ["sleep", "60"], { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const reason = new Error("enough");
    const started = performance.now();
    controller.abort(reason);
    assertEquals(await run.status.catch((e) => e), reason);
    assert(performance.now() - started < 2_000, "the abort was prompt");
    // The command was killed: its operation ends soon after.
    const final = await client.operations.wait(run.id, { timeout: 20_000 }).catch((e) => e);
    assert(final.status === "Success" || final.name === "OperationFailedError", String(final));
  });

  Deno.test(`${name}: 20 concurrent execs`, async () => {
    await using client = connectTo(daemon);
    const outputs = await Promise.all(
      Array.from(
        { length: 20 },
        async (_, i) => (await client.exec(c1, ["sh", "-c", `echo ${i}; exit ${i % 4}`])).output(),
      ),
    );
    outputs.forEach((output, i) => {
      assertEquals([output.stdoutText, output.exitCode], [`${i}\n`, i % 4]);
    });
  });

  Deno.test(`${name}: record-output mode reads the recorded logs back, then deletes them`, async () => {
    await using client = connectTo(daemon);
    const output = await client.execRecorded(c1, ["sh", "-c", "echo out; echo err >&2; exit 2"]);
    assertEquals([output.exitCode, output.stdoutText, output.stderrText], [2, "out\n", "err\n"]);
    const logs = output.operation.metadata?.output as Record<string, string>;
    assertEquals(Object.keys(logs).sort(), ["1", "2"]);
    for (const path of Object.values(logs)) {
      // Gone: Incus answers 404; LXD 5.0.2 answers 500 "... no such file or directory".
      const error = await assertRejects(() => client.query(path), IncusError);
      if (name === "incus") assertEquals(error.status, 404);
      else assertStringIncludes(error.message, "no such file or directory");
    }
  });

  Deno.test(`${name}: bad instance names and commands send nothing; secrets stay out of errors`, async () => {
    await using client = connectTo(daemon);
    for (const bad of ["../c1", "c1/exec", "c1?x", "", "a b", "c1#"]) {
      await assertRejects(() => client.exec(bad, ["true"]), InvalidArgumentError);
      await assertRejects(() => client.execRecorded(bad, ["true"]), InvalidArgumentError);
    }
    await assertRejects(() => client.exec(c1, []), InvalidArgumentError);
    const op = await client.query<{ id: string }>(`/1.0/instances/${c1}/exec`, {
      method: "POST",
      body: { command: ["sleep", "1"], "wait-for-websocket": true },
    });
    const secret = "f".repeat(64);
    const error = await assertRejects(
      () => client.operations.websocket(op.id, secret),
      ConnectionError,
    );
    assert(!error.message.includes(secret), "the secret is not in the message");
    await client.operations.cancel(op.id).catch(() => {});
  });
}
