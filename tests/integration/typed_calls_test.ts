/**
 * The main job of docs/typed-api.md (create from image → wait with progress
 * → start → exec → snapshot → stop → delete) on a client typed by LXD 5.0's
 * description (`connect<Lxd50>()`), run on each real daemon: it compiles
 * against LXD 5.0's types, and the types only: the same client drives
 * Incus too. (The docs' own block, typed by Incus 6.0, runs on both daemons
 * as written: readme_test.ts.)
 */

import { assertEquals } from "@std/assert";
import { type Client, connect, type Lxd50 } from "../../mod.ts";
import type * as Lxd from "../../src/api/lxd_5_0.ts";
import { assertType, type IsExact } from "../incus/_types.ts";
import { DAEMONS, uniqueName } from "./_daemons.ts";

/** docs/typed-api.md's main job, on an LXD-typed client; resolves with what it read. */
async function mainJob(client: Client<Lxd50>, name: string) {
  const created = await client.startOperation("/1.0/instances", {
    body: { name, source: { type: "image", alias: "busybox" } },
  });
  await created.wait({ onProgress: (p) => p.percent });
  const state = `/1.0/instances/${name}/state` as const;
  await client.query(state, { method: "PUT", body: { action: "start" }, wait: true });
  const { stdoutText } = await client.execRecorded(name, ["echo", "hello"]);
  await client.query(`/1.0/instances/${name}/snapshots`, {
    method: "POST",
    body: { name: "snap0" },
    wait: true,
  });
  const { status } = await client.query(state);
  assertType<IsExact<typeof status, Lxd.InstanceState["status"]>>(true);
  await client.query(state, { method: "PUT", body: { action: "stop", force: true }, wait: true });
  const snapshots = await client.query(`/1.0/instances/${name}/snapshots`);
  assertType<IsExact<typeof snapshots, string[]>>(true);
  await client.query(`/1.0/instances/${name}`, { method: "DELETE", wait: true });
  return { stdoutText, status, snapshots };
}

for (const daemon of DAEMONS) {
  Deno.test(`${daemon.name}: the main job typed by LXD 5.0 (connect<Lxd50>()) runs on the real daemon`, async () => {
    await using client = connect<Lxd50>({ socket: daemon.socket });
    const name = uniqueName("typed");
    try {
      const { stdoutText, status, snapshots } = await mainJob(client, name);
      assertEquals([stdoutText, status], ["hello\n", "Running"]);
      assertEquals(snapshots, [`/1.0/instances/${name}/snapshots/snap0`]);
    } finally {
      await client.query(`/1.0/instances/${name}/state`, {
        method: "PUT",
        body: { action: "stop", force: true },
        wait: true,
      }).catch(() => {});
      await client.query(`/1.0/instances/${name}`, { method: "DELETE", wait: true })
        .catch(() => {});
    }
    const left = await client.query("/1.0/instances");
    assertEquals(left.filter((path) => path.endsWith(`/${name}`)), []);
  });
}
