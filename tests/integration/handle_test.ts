/**
 * Operation handles, parseResources() and narrowed event streams against
 * both real daemons: the types hold for what Incus 6 and LXD 5 really send.
 */

import { assert, assertEquals, assertInstanceOf, assertRejects } from "@std/assert";
import {
  type LifecycleEvent,
  NotCancellableError,
  OperationCancelledError,
  type OperationEvent,
  OperationHandle,
  parseResources,
} from "../../mod.ts";
import { assertType, type IsExact } from "../incus/_types.ts";
import { connectTo, DAEMONS, uniqueName } from "./_daemons.ts";

const EXEC = { "wait-for-websocket": false, interactive: false, "record-output": false };

for (const daemon of DAEMONS) {
  const name = daemon.name;
  const execPath = `/1.0/instances/${daemon.instance}/exec` as const;

  Deno.test(`${name}: a handle on a real exec refreshes and waits; its resources name the instance`, async () => {
    await using client = connectTo(daemon);
    const handle = await client.startOperation(execPath, {
      body: { ...EXEC, command: ["sh", "-c", "sleep 0.5; exit 3"] },
    });
    assertInstanceOf(handle, OperationHandle);
    assertEquals([handle.operation?.class, handle.operation?.status], ["task", "Running"]);
    assertEquals((await handle.refresh()).id, handle.id);

    const instances = parseResources(handle.operation!).filter((r) => r.kind === "instances");
    assertEquals(instances.map(({ name, path, target }) => ({ name, path, target })), [
      { name: daemon.instance, path: `/1.0/instances/${daemon.instance}`, target: undefined },
    ]);
    // Both daemons also file it under the legacy "containers" kind.
    assert(parseResources(handle.operation!).some((r) => r.kind === "containers"));

    await assertRejects(() => handle.cancel(), NotCancellableError);
    const final = await handle.wait({ timeout: 30_000 });
    const code: number | undefined = final.metadata?.return;
    assertEquals([final.status, code], ["Success", 3]);
    assertEquals(handle.operation, final);

    // A handle made later from the id alone reads the same operation.
    const again = client.operations.handle<typeof final>(handle.id);
    assertEquals((await again.refresh()).metadata?.return, 3);
  });

  Deno.test(`${name}: handles in a project: an instance creation waits, a migration source cancels; resources carry the project`, async () => {
    await using client = connectTo(daemon);
    const project = uniqueName("hp");
    await client.query<Record<string, never>>("/1.0/projects", {
      method: "POST",
      body: { name: project, config: { "features.images": "false", "features.profiles": "false" } },
    });
    const instance = uniqueName("hmig");
    try {
      // Creating an instance: a handle on it waits, and its resources name the new instance.
      const creating = await client.startOperation("/1.0/instances", {
        project,
        body: { name: instance, source: { type: "image", alias: daemon.image } },
      });
      assertEquals(creating.project, project);
      const created = await creating.wait({ timeout: 60_000 });
      assertEquals([created.status, creating.operation?.status], ["Success", "Success"]);
      const made = parseResources(created).filter((r) => r.kind === "instances");
      assertEquals(made.map((r) => r.name), [instance]);
      assertEquals(made[0].project, name === "incus" ? project : undefined);
      // A migration source waits for a target to connect: cancellable.
      const handle = await client.startOperation(`/1.0/instances/${instance}`, {
        project,
        body: { migration: true, live: false },
      });
      assertEquals(handle.project, project);
      assertEquals([handle.operation?.class, handle.operation?.may_cancel], ["websocket", true]);
      const resource = parseResources(handle.operation!).find((r) => r.kind === "instances");
      assertEquals(resource?.name, instance);
      // Incus names the project in the URL; LXD 5.0 leaves it out (unstated).
      const stated = name === "incus" ? project : undefined;
      assertEquals(resource?.project, stated, JSON.stringify(handle.operation?.resources));

      // Another handle from the id, scoped to the project, sees and cancels it.
      const byId = client.operations.handle(handle.id, { project });
      assertEquals((await byId.refresh()).status, "Running");
      const waiting = handle.wait({ timeout: 30_000 });
      await byId.cancel();
      const error = await assertRejects(() => waiting, OperationCancelledError);
      assertEquals(error.operation, handle.operation);
      assertEquals(handle.operation?.status, "Cancelled");
    } finally {
      await client.query(`/1.0/instances/${instance}`, { method: "DELETE", project, wait: true })
        .catch(() => {});
      await client.query(`/1.0/projects/${project}`, { method: "DELETE" }).catch(() => {});
    }
  });

  Deno.test(`${name}: events narrow on type; types: [...] sets the stream's element type`, async () => {
    await using client = connectTo(daemon);
    const controller = new AbortController();
    await using both = client.events({
      types: ["operation", "lifecycle"],
      signal: controller.signal,
    });
    await using operations = client.events({ types: ["operation"], signal: controller.signal });
    await Promise.all([both.opened, operations.opened]);
    const handle = await client.startOperation(execPath, { body: { ...EXEC, command: ["true"] } });

    let exec: LifecycleEvent | undefined;
    let success: OperationEvent | undefined;
    for await (const event of both) {
      assertType<IsExact<typeof event, OperationEvent | LifecycleEvent>>(true);
      if (event.type === "lifecycle") {
        if (event.metadata.action === "instance-exec") exec = event;
      } else if (event.metadata.id === handle.id && event.metadata.status === "Success") {
        success = event;
      }
      if (exec !== undefined && success !== undefined) break;
    }
    assertEquals(exec?.metadata.source, `/1.0/instances/${daemon.instance}`);
    assertEquals((exec?.metadata.context as { command?: string[] })?.command, ["true"]);
    assertEquals(success?.metadata.metadata?.return, 0);

    for await (const event of operations) {
      assertType<IsExact<typeof event, OperationEvent>>(true);
      assertEquals(event.type, "operation");
      if (event.metadata.id === handle.id && event.metadata.status === "Success") break;
    }
    controller.abort();
  });
}
