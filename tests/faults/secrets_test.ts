/**
 * Fault matrix, secrets and safety 21 and 24 (22, no DNS, is
 * no_dns_test.ts; 23, close() in flight, is in transport_test.ts). That the
 * library never logs is the `no-console` lint rule (deno.json; only the CLI
 * and the benchmarks print).
 */

import { assert, assertEquals, assertLess, assertRejects } from "@std/assert";
import { ConnectionError } from "../../mod.ts";
import { execStatus } from "../../src/incus/exec_options.ts";
import { fake, until } from "../_fake.ts";
import { openSockets } from "../_process.ts";

const SECRET = "5ec4e7".repeat(10);

Deno.test("8.21 websocket/exec secrets never appear in errors, their causes or inspections", async () => {
  await using t = await fake();
  const { daemon, client } = t;
  const op = daemon.createOperation({ class: "websocket", metadata: { fds: { "0": SECRET } } });
  const error = await assertRejects(
    () => client.operations.websocket(op.id, SECRET),
    ConnectionError,
  );
  for (
    const text of [
      error.message,
      String(error),
      Deno.inspect(error, { depth: 10 }),
      JSON.stringify(error),
    ]
  ) {
    assert(!text.includes(SECRET), `secret leaked: ${text}`);
  }
  // A finished exec's status hides every fd secret.
  const final = {
    ...op,
    status: "Success" as const,
    status_code: 200 as const,
    metadata: { fds: { "0": SECRET, control: SECRET }, return: 0 },
  };
  assert(!JSON.stringify(execStatus(final)).includes(SECRET));
});

Deno.test("8.24 10,000 calls, each aborted right away: no growth in sockets or memory", async () => {
  await using t = await fake();
  const { daemon, client } = t;
  const op = daemon.createOperation();
  const run = async (count: number) => {
    for (let i = 0; i < count; i++) {
      const controller = new AbortController();
      const call = i % 2 === 0
        ? client.operations.get(op.id, { signal: controller.signal })
        : client.operations.wait(op.id, { signal: controller.signal });
      controller.abort(new Error("enough"));
      await call.catch(() => {});
    }
  };
  await run(500); // warm up
  (globalThis as { gc?: () => void }).gc?.();
  const sockets = openSockets();
  const rss = Deno.memoryUsage().rss;
  await run(10_000);
  await until(() => openSockets() - sockets < 3); // pooled idle connections close
  (globalThis as { gc?: () => void }).gc?.();
  assertLess(openSockets() - sockets, 3, "sockets stay flat");
  const grown = (Deno.memoryUsage().rss - rss) / 2 ** 20;
  assertLess(grown, 32, `RSS grew ${grown.toFixed(1)} MB over 10,000 aborted calls`);
  assertEquals((await client.operations.get(op.id)).status, "Running", "the client still works");
});
