/**
 * Typed calls (issue 27): a path literal or template literal naming a
 * documented endpoint types `method`, `body`, `query` and the answer; a
 * literal naming none, an unknown body field and `startOperation()` on a
 * sync endpoint are type errors (`@ts-expect-error` fails the check when
 * the line compiles); a `string` path stays unchecked. The calls run on the
 * fake daemon, so the types are checked against what the client returns.
 */

import { assert, assertEquals, assertRejects } from "@std/assert";
import {
  type ApiTypes,
  type Client,
  connect,
  ConnectionError,
  type ExecOperation,
  type Lxd50,
  type Operation,
  type OperationHandle,
  SyncAnswerError,
} from "../../mod.ts";
import type { AnswerOf, Incus60, TemplateOf } from "../../src/incus/typed_api.ts";
import type * as Incus from "../../src/api/incus_6_0.ts";
import type * as Lxd from "../../src/api/lxd_5_0.ts";
import { FakeDaemon } from "../../src/testing/mod.ts";
import { assertType, type IsExact } from "./_types.ts";

Deno.test("typed: a path literal or template literal finds its endpoint, segment by segment", () => {
  const name = "c1" as string;
  const state = `/1.0/instances/${name}/state` as const;
  assertType<IsExact<TemplateOf<Incus60, typeof state>, "/1.0/instances/{name}/state">>(true);
  assertType<IsExact<TemplateOf<Incus60, "/1.0/instances/c1">, "/1.0/instances/{name}">>(true);
  // Named segments win over parameters; variants are separate endpoints.
  type Aliases = TemplateOf<Incus60, "/1.0/images/aliases/busybox">;
  assertType<IsExact<Aliases, "/1.0/images/aliases/{name}">>(true);
  type Full = TemplateOf<Incus60, "/1.0/instances?recursion=1&project=p1">;
  assertType<IsExact<Full, "/1.0/instances?recursion=1">>(true);
  type Ids = TemplateOf<Incus60, "/1.0/instances?project=p1">;
  assertType<IsExact<Ids, "/1.0/instances">>(true);
  type Zero = TemplateOf<Incus60, "/1.0/instances?recursion=0">;
  assertType<IsExact<Zero, "/1.0/instances">>(true);
  type Public = TemplateOf<Incus60, "/1.0/images?recursion=1&public">;
  assertType<IsExact<Public, "/1.0/images?public&recursion=1">>(true);
  // Templates differing only by parameter names are one endpoint.
  type Bucket = TemplateOf<Incus60, "/1.0/storage-pools/default/buckets/b1">;
  assertType<IsExact<Bucket, "/1.0/storage-pools/{name}/buckets/{bucketName}">>(true);
  // Nothing documented: a typo, a trailing slash, an undocumented variant, a plain string.
  assertType<IsExact<TemplateOf<Incus60, "/1.0/instancs">, never>>(true);
  assertType<IsExact<TemplateOf<Incus60, "/1.0/instances/c1/stat">, never>>(true);
  assertType<IsExact<TemplateOf<Incus60, "/1.0/instances/">, never>>(true);
  assertType<IsExact<TemplateOf<Incus60, "/1.0/profiles?recursion=2">, never>>(true);
  assertType<IsExact<TemplateOf<Incus60, string>, never>>(true);
  // LXD 5.0 has no network integrations (an Incus addition).
  assertType<IsExact<TemplateOf<Lxd50, "/1.0/network-integrations">, never>>(true);
  assertType<
    IsExact<TemplateOf<Incus60, "/1.0/network-integrations">, "/1.0/network-integrations">
  >(
    true,
  );
  type LxdState = AnswerOf<Lxd50, "/1.0/instances/c1/state", "GET">;
  assertType<IsExact<LxdState, Lxd.InstanceState>>(true);
});

Deno.test("typed: query() results, methods, bodies and mutators follow the description", async () => {
  await using daemon = await FakeDaemon.start();
  await using client = connect({ socket: daemon.path });
  const name = "c1" as string;

  const instance = await client.query(`/1.0/instances/${name}`); // the fake serves a few fields
  assertType<IsExact<typeof instance, Incus.Instance>>(true);
  assertEquals(instance.status, "Running");
  type State = Awaited<ReturnType<typeof client.query<`/1.0/instances/${string}/state`>>>;
  assertType<IsExact<State, Incus.InstanceState>>(true);
  const names = await client.query("/1.0/instances");
  assertType<IsExact<typeof names, string[]>>(true);
  assertEquals(names, ["/1.0/instances/c1"]);
  const count = await client.query("/1.0/instances", {}, (paths) => paths.length);
  assertType<IsExact<typeof count, number>>(true);
  assertEquals(count, 1);

  const exec = await client.query(`/1.0/instances/${name}/exec`, {
    method: "POST",
    body: { command: ["true"], "wait-for-websocket": false },
    wait: true,
  }, (final) => final);
  assertType<IsExact<typeof exec, ExecOperation>>(true);
  assertEquals([exec.status, exec.metadata?.return], ["Success", 0]);

  const stopping = await client.query(`/1.0/instances/${name}/state`, {
    method: "PUT",
    body: { action: "stop", force: true },
  });
  assertType<IsExact<typeof stopping, Operation>>(true);
  const stopped = await client.operations.wait(stopping.id, { timeout: 10_000 });
  assertEquals(stopped.status, "Success");

  // A sync write's answer is its metadata (an empty object for most).
  type Patched = AnswerOf<Incus60, "/1.0/instances/c1", "PATCH">;
  assertType<IsExact<Patched, Record<string, never>>>(true);
  // Writes that may answer either way (200 or 202) type both.
  type Rebuilt = AnswerOf<Incus60, "/1.0/instances/c1/rebuild", "POST">;
  assertType<IsExact<Rebuilt, Operation | Record<string, never>>>(true);
});

Deno.test("typed: typos, unknown body fields, wrong methods and sync starts are type errors", async () => {
  await using daemon = await FakeDaemon.start();
  await using client = connect({ socket: daemon.path });
  const name = "c1";
  const refused = async (call: () => Promise<unknown>) => {
    await assertRejects(call); // each runs too: the daemon refuses it
  };
  // @ts-expect-error a typo'd path literal
  await refused(() => client.query("/1.0/instancs"));
  // @ts-expect-error a typo'd template literal
  await refused(() => client.query(`/1.0/instances/${name}/stat`));
  const put = "PUT";
  await refused(() =>
    // @ts-expect-error an unknown body field
    client.query(`/1.0/instances/${name}/state`, { method: put, body: { acton: "start" } })
  );
  await refused(() =>
    // @ts-expect-error a body field of the wrong type
    client.query(`/1.0/instances/${name}/state`, { method: put, body: { timeout: "30" } })
  );
  // @ts-expect-error no POST on an instance's state
  await refused(() => client.query(`/1.0/instances/${name}/state`, { method: "POST", body: {} }));
  // @ts-expect-error exec has no GET: the method must be given
  await refused(() => client.query(`/1.0/instances/${name}/exec`));
  // @ts-expect-error the exec body is required
  await refused(() => client.query(`/1.0/instances/${name}/exec`, { method: "POST" }));
  // @ts-expect-error an undocumented query parameter
  await refused(() => client.query("/1.0/instances/missing", { query: { recursion: "1" } }));
  // @ts-expect-error startOperation() on a sync endpoint
  await refused(() => client.startOperation("/1.0/profiles", { body: { name: "p1" } }));
  await refused(() =>
    // @ts-expect-error startOperation() with a method that answers synchronously
    client.startOperation(`/1.0/instances/${name}`, { method: "PATCH", body: {} })
  );
  // @ts-expect-error startOperation() needs the exec body
  await refused(() => client.startOperation(`/1.0/instances/${name}/exec`));
});

Deno.test("typed: startOperation() takes endpoints answering an operation, body typed", async () => {
  await using daemon = await FakeDaemon.start();
  await using client = connect({ socket: daemon.path });
  const name = "c1" as string;
  const exec = await client.startOperation(`/1.0/instances/${name}/exec`, {
    body: { command: ["true"] },
  }, (started) => started.wait());
  assertType<IsExact<typeof exec, ExecOperation>>(true);
  assertEquals(exec.metadata?.return, 0);
  const handle = await client.startOperation(`/1.0/instances/${name}/state`, {
    method: "PUT",
    body: { action: "stop", force: true },
  });
  assertType<IsExact<typeof handle, OperationHandle<Operation>>>(true);
  assertEquals((await handle.wait({ timeout: 10_000 })).status, "Success");
});

Deno.test("typed: a string path is not checked; startOperation() on a sync answer says the write was applied", async () => {
  await using daemon = await FakeDaemon.start();
  await using client = connect({ socket: daemon.path });
  const path: string = "/1.0/anything/undocumented";
  await assertRejects(() => client.query(path, { method: "PUT", body: { free: "form" } }));
  const server: string = "/1.0";
  const answer = await client.query(server);
  assertType<IsExact<typeof answer, unknown>>(true);
  const error = await assertRejects(
    () => client.startOperation(server, { method: "PUT", body: {} }),
    SyncAnswerError,
    "applied the write",
  );
  assert(!(error instanceof ConnectionError));
  assertEquals([error.method, error.path, error.status], ["PUT", "/1.0", 200]);
});

Deno.test("typed: query<T>(path, options, mutator) compiles when the mutator returns another type (issue 26)", async () => {
  await using daemon = await FakeDaemon.start();
  await using client = connect({ socket: daemon.path });
  const path: string = "/1.0";
  const length = await client.query<{ api_version: string }>(path, {}, (s) => s.api_version.length);
  assertType<IsExact<typeof length, unknown>>(true);
  assertEquals(length, 3);
  const both = await client.query<{ api_version: string }, number>(
    path,
    {},
    (s) => s.api_version.length,
  );
  assertType<IsExact<typeof both, number>>(true);
  const inferred = await client.query(path, {}, (s: { api_version: string }) => s.api_version);
  assertType<IsExact<typeof inferred, string>>(true);
  const op = await client.query<Operation>(`/1.0/instances/c1/exec`, {
    method: "POST",
    body: { command: ["true"] },
  }, (started) => started.id);
  assertType<IsExact<typeof op, unknown>>(true);
  assertEquals(typeof op, "string");
  const writeMutated = await client.query(path as string, {
    method: "PUT",
    body: {},
  }, (answer) => answer);
  assertType<IsExact<typeof writeMutated, unknown>>(true);
});

Deno.test("typed: connect<Lxd50>() types calls by LXD 5.0's description; a Client<Lxd50> passes where a Client is expected", async () => {
  await using daemon = await FakeDaemon.start({ flavor: "lxd" });
  await using client = connect<Lxd50>({ socket: daemon.path });
  const instance = await client.query("/1.0/instances/c1");
  assertType<IsExact<typeof instance, Lxd.Instance>>(true);
  assertEquals(instance.status, "Running");
  const server = await client.query("/1.0");
  assertType<IsExact<typeof server, Lxd.Server>>(true);
  const anyClient: (client: Client<ApiTypes>) => string = (c) => c.endpoint;
  assertEquals(anyClient(client), daemon.path);
  // Where a plain Client (Client<Incus60>) is expected, an LXD-typed one passes, and back.
  const incusTyped = (c: Client) => c.query("/1.0/instances/c1");
  assertType<IsExact<Awaited<ReturnType<typeof incusTyped>>, Incus.Instance>>(true);
  assertEquals((await incusTyped(client)).name, "c1");
  await using incusClient = connect({ socket: daemon.path });
  const lxdTyped: Client<Lxd50> = incusClient;
  const plain: Client = lxdTyped;
  assertEquals(plain.endpoint, daemon.path);
  // @ts-expect-error network integrations are Incus-only
  await assertRejects(() => client.query("/1.0/network-integrations"));
});
