/**
 * Fault matrix, bad input 15 (16–19 are proved by the unit tests the README
 * matrix names): rejected with a clear typed error before
 * anything is sent (the fake daemon counts requests), never another request.
 */

import { assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { InvalidArgumentError } from "../../mod.ts";
import { fake } from "../_fake.ts";

const BAD_IDS = [
  "../instances/x",
  "..%2Finstances",
  "a/b",
  "a?b",
  "a#b",
  "",
  " ",
  "\t8d8c6c41-4b5e-4ed5-b8b3-5ba1c3b0f1a2",
  "x".repeat(4096),
  "8d8c6c41-4b5e-4ed5-b8b3-5ba1c3b0f1aé",
  "8d8c6c41-4b5e-4ed5-b8b3-5ba1c3b0\u0000f1a2",
  "/1.0/operations/../instances/c1",
  "/1.0/instances/c1",
];

Deno.test("8.15 bad ids are rejected by every call, nothing sent", async () => {
  await using t = await fake();
  const { daemon, client } = t;
  for (const id of BAD_IDS) {
    const calls: (() => Promise<unknown>)[] = [
      () => client.operations.get(id),
      () => client.operations.wait(id),
      () => client.operations.cancel(id),
      () => client.operations.delete(id),
      () => client.operations.websocket(id, "secret"),
      () => client.operations.waitAll([id]),
      () => client.operations.waitAny([id]),
      async () => {
        for await (const _ of client.operations.watch(id)) break;
      },
    ];
    for (const call of calls) {
      const error = await assertRejects(call, InvalidArgumentError);
      assertStringIncludes(error.message, "invalid operation id");
    }
  }
  assertEquals(daemon.requests.length, 0);
});
