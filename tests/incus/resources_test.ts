/** parseResources(): the objects an operation touches, from its `resources` URLs. */

import { assertEquals, assertThrows } from "@std/assert";
import { InvalidArgumentError, type Operation, parseResources } from "../../mod.ts";
import { fake } from "../_fake.ts";

Deno.test("parseResources(): kind, name, project, target and path of each URL", async () => {
  await using t = await fake();
  const { daemon, client } = t;
  const created = daemon.createOperation({
    resources: {
      instances: ["/1.0/instances/c1?project=p&target=m1"],
      containers: ["/1.0/containers/c1?project=p"],
      storage_volumes: ["/1.0/storage-pools/default/volumes/custom/v1"],
      instances_snapshots: ["/1.0/instances/c1/snapshots/snap%200"],
    },
  });
  const op = await client.operations.get(created.id);
  assertEquals(parseResources(op), [
    {
      kind: "instances",
      name: "c1",
      project: "p",
      target: "m1",
      path: "/1.0/instances/c1",
      url: "/1.0/instances/c1?project=p&target=m1",
    },
    {
      kind: "containers",
      name: "c1",
      project: "p",
      target: undefined,
      path: "/1.0/containers/c1",
      url: "/1.0/containers/c1?project=p",
    },
    {
      kind: "storage_volumes",
      name: "v1",
      project: undefined,
      target: undefined,
      path: "/1.0/storage-pools/default/volumes/custom/v1",
      url: "/1.0/storage-pools/default/volumes/custom/v1",
    },
    {
      kind: "instances_snapshots",
      name: "snap 0",
      project: undefined,
      target: undefined,
      path: "/1.0/instances/c1/snapshots/snap%200",
      url: "/1.0/instances/c1/snapshots/snap%200",
    },
  ]);
});

Deno.test("parseResources(): the server's odd data never throws", () => {
  const of = (resources: unknown) =>
    parseResources({ resources } as Pick<Operation, "resources">).map((r) => [r.kind, r.name]);
  assertEquals(of(null), []);
  assertEquals(of({}), []);
  assertEquals(of("instances"), []);
  assertEquals(of(["/1.0/instances/c1"]), []);
  assertEquals(of({ instances: null, images: "x", networks: [1, null, {}, "/1.0/networks/br0"] }), [
    ["networks", "br0"],
  ]);
  assertEquals(of({ instances: ["/1.0/instances/bad%zz", "", "/", "?project=p", "c1/"] }), [
    ["instances", "bad%zz"],
    ["instances", ""],
    ["instances", ""],
    ["instances", ""],
    ["instances", "c1"],
  ]);
  const [remote] = parseResources({
    resources: { instances: ["https://m1.example:8443/1.0/instances/c%2F1?project=a%26b#frag"] },
  });
  assertEquals([remote.path, remote.name, remote.project], ["/1.0/instances/c%2F1", "c/1", "a&b"]);
  const proto = parseResources({ resources: JSON.parse('{"__proto__": ["/1.0/x/y"]}') });
  assertEquals(proto.map((r) => [r.kind, r.name]), [["__proto__", "y"]]);
});

Deno.test("parseResources(): a typed error for what is not an operation", () => {
  for (const bad of [undefined, null, "op", 1, {}, { id: "x" }]) {
    assertThrows(
      () => parseResources(bad as unknown as Operation),
      InvalidArgumentError,
      "expected an operation",
    );
  }
});
