/** parseResources(): the objects an operation touches, from its `resources` URLs. */

import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { InvalidArgumentError, type Operation, parseResources, ProtocolError } from "../../mod.ts";
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
  const [odd] = parseResources({ resources: { instances: ["/1.0/instances/c1?project=a%26b#f"] } });
  assertEquals([odd.path, odd.name, odd.project], ["/1.0/instances/c1", "c1", "a&b"]);
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

Deno.test("parseResources(): a URL of another server or a path out of its collection is a ProtocolError naming it", () => {
  const urls = [
    "/1.0/instances/c1%2F..%2F..%2Fetc%2Fpasswd",
    "/1.0/instances/%2E%2E",
    "/1.0/instances/../../etc/passwd",
    "https://evil.example:8443/1.0/instances/c1",
    "//evil.example/1.0/instances/c1",
    "HTTP://evil.example/1.0/instances/c1",
  ];
  for (const url of urls) {
    const error = assertThrows(
      () =>
        parseResources({ resources: { images: ["/1.0/images/ok"], instances: ["/1.0/x", url] } }),
      ProtocolError,
    );
    assertStringIncludes(
      error.message,
      `resources.instances: ${JSON.stringify(url)} is no path of this server's objects`,
    );
  }
});

Deno.test("parseResources(): 1 MB of adversarial text is parsed in one pass", () => {
  const long = "a".repeat(1 << 20);
  const [entry] = parseResources({ resources: { instances: [`/1.0/instances/${long}`] } });
  assertEquals(entry.name.length, 1 << 20);
  assertThrows(() => parseResources({ resources: { x: [`${long}:`] } }), ProtocolError);
  assertEquals(parseResources({ resources: { x: [`${long}/c1`] } })[0].name, "c1");
});
