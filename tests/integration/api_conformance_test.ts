/**
 * Conformance of the generated API types with the real daemons (issue 27):
 * on each daemon, the writes the suites rely on are sent through typed
 * calls (`startOperation()` compiles only on an endpoint the table says
 * answers with an operation, and rejects at run time if it did not), then
 * every GET endpoint a fresh daemon can answer is read and its answer
 * checked against the schema table: declared fields present, JSON types
 * right, no undeclared fields. Every GET endpoint of the description is
 * either read here or named in `NOT_READ` with the reason. Differences are
 * fixed in .ci/api/overrides.yaml (with their evidence), never here.
 */

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import {
  type Client,
  type IncusEvent,
  type Operation,
  OperationFailedError,
  type OperationHandle,
  SyncAnswerError,
} from "../../mod.ts";
import { connectTo, DAEMONS, type RealDaemon, uniqueName } from "./_daemons.ts";
import {
  answerDifferences,
  describe,
  type Difference,
  differences,
  shapeOf,
  TABLES,
  templateOf,
} from "./_conformance.ts";

/** GET endpoints not read, by shape (`{}` for parameters), with the reason. */
const NOT_READ: Record<string, string> = {
  "/": "the API's root, outside /1.0 (the client calls /1.0 and below)",
  "/1.0?public": "the untrusted view: over the Unix socket every client is trusted",
  "/1.0/images?public": "the untrusted view (trusted over the socket)",
  "/1.0/images?public&recursion=1": "the untrusted view (trusted over the socket)",
  "/1.0/images/{}?public": "the untrusted view (trusted over the socket)",
  "/1.0/images/aliases/{}?public": "the untrusted view (trusted over the socket)",
  "/1.0/images/{}/export": "raw image files, not JSON",
  "/1.0/images/{}/export?public": "raw image files, not JSON",
  "/1.0/events": "a websocket: its events are checked against `Event` instead",
  "/1.0/operations/{}/websocket": "a websocket",
  "/1.0/operations/{}/websocket?public": "a websocket",
  "/1.0/operations/{}/wait?public": "the untrusted view (trusted over the socket)",
  "/1.0/metrics": "Prometheus text, not JSON",
  "/1.0/instances/{}/console": "the console log, raw text",
  "/1.0/instances/{}/debug/memory": "a memory dump (virtual machines only)",
  "/1.0/instances/{}/files": "raw file contents",
  "/1.0/instances/{}/sftp": "an SFTP connection upgrade",
  "/1.0/instances/{}/logs/{}": "raw log text",
  "/1.0/instances/{}/logs/exec-output/{}": "raw output text",
  "/1.0/instances/{}/metadata/templates": "raw template text",
  "/1.0/instances/{}/backups/{}/export": "a backup tarball, not JSON",
  "/1.0/instances/{}/backups/{}": "needs an instance backup (a tarball written to disk)",
  "/1.0/network-acls/{}/log": "raw log text",
  "/1.0/storage-pools/{}/volumes/{}/{}/backups/{}": "needs a volume backup",
  "/1.0/storage-pools/{}/volumes/{}/{}/backups/{}/export": "a backup tarball, not JSON",
  "/1.0/storage-pools/{}/buckets": "buckets need an object-storage pool (MinIO or Ceph RGW)",
  "/1.0/storage-pools/{}/buckets?recursion=1": "buckets need an object-storage pool",
  "/1.0/storage-pools/{}/buckets/{}": "buckets need an object-storage pool",
  "/1.0/storage-pools/{}/buckets/{}/keys": "buckets need an object-storage pool",
  "/1.0/storage-pools/{}/buckets/{}/keys?recursion=1": "buckets need an object-storage pool",
  "/1.0/storage-pools/{}/buckets/{}/keys/{}": "buckets need an object-storage pool",
  "/1.0/storage-pools/{}/buckets/{}/backups": "buckets need an object-storage pool",
  "/1.0/storage-pools/{}/buckets/{}/backups?recursion=1": "buckets need an object-storage pool",
  "/1.0/storage-pools/{}/buckets/{}/backups/{}": "buckets need an object-storage pool",
  "/1.0/storage-pools/{}/buckets/{}/backups/{}/export": "buckets need an object-storage pool",
  "/1.0/network-integrations/{}": "needs an OVN interconnection",
  "/1.0/networks/{}/leases": "needs a managed network (the daemons run without one)",
  "/1.0/networks/{}/forwards": "needs a managed network",
  "/1.0/networks/{}/forwards?recursion=1": "needs a managed network",
  "/1.0/networks/{}/forwards/{}": "needs a managed network",
  "/1.0/networks/{}/load-balancers": "needs an OVN network",
  "/1.0/networks/{}/load-balancers?recursion=1": "needs an OVN network",
  "/1.0/networks/{}/load-balancers/{}": "needs an OVN network",
  "/1.0/networks/{}/load-balancers/{}/state": "needs an OVN network",
  "/1.0/networks/{}/peers": "needs an OVN network",
  "/1.0/networks/{}/peers?recursion=1": "needs an OVN network",
  "/1.0/networks/{}/peers/{}": "needs an OVN network",
  "/1.0/cluster/groups": "cluster only: api_conformance_cluster_test.ts",
  "/1.0/cluster/groups?recursion=1": "cluster only: api_conformance_cluster_test.ts",
  "/1.0/cluster/groups/{}": "cluster only: api_conformance_cluster_test.ts",
  "/1.0/cluster/members": "cluster only: api_conformance_cluster_test.ts",
  "/1.0/cluster/members?recursion=1": "cluster only: api_conformance_cluster_test.ts",
  "/1.0/cluster/members/{}": "cluster only: api_conformance_cluster_test.ts",
  "/1.0/cluster/members/{}/state": "cluster only: api_conformance_cluster_test.ts",
};

/** GET endpoints not read on one daemon only, by shape, with the reason. */
const NOT_READ_ON: Record<RealDaemon["name"], Record<string, string>> = {
  incus: {},
  lxd: {
    "/1.0/storage-pools/{}/volumes/{}/{}/state": 'LXD 5.0 answers "Not supported" on a dir pool',
  },
};

/** Hardware-dependent parts of `/1.0/resources`: fields a machine may lack. */
const HARDWARE = /^Resources[A-Za-z]*\.[a-z_]+$/;

/** The HTTPS port an image export reaches each daemon on: not https_test's 8443/8444, oidc_test's 8453. */
const EXPORT_PORT: Record<RealDaemon["name"], number> = { incus: 8463, lxd: 8464 };

/** What the fixtures made, for the GET paths and the clean-up. */
interface Made {
  instance: string;
  copy: string;
  volume: string;
  acl: string;
  zone: string;
  certificate?: string;
  fingerprint: string;
  warning?: string;
  operation: string;
}

/** Base64 DER of a PEM certificate, and its sha256 fingerprint. */
async function der(pem: string): Promise<{ base64: string; fingerprint: string }> {
  const base64 = pem.replace(/-----[A-Z ]+-----/g, "").replaceAll(/\s/g, "");
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return { base64, fingerprint: [...digest].map((b) => b.toString(16).padStart(2, "0")).join("") };
}

/** The writes the suites rely on, each through a typed call. */
async function makeFixtures(client: Client, daemon: RealDaemon, made: Made): Promise<void> {
  const { instance, copy } = made;
  const created = await client.startOperation("/1.0/instances", {
    body: { name: instance, source: { type: "image", alias: daemon.image } },
  });
  await created.wait({ timeout: 120_000 });
  const start = await client.startOperation(`/1.0/instances/${instance}/state`, {
    method: "PUT",
    body: { action: "start" },
  });
  await start.wait({ timeout: 60_000 });
  const exec = await client.startOperation(`/1.0/instances/${instance}/exec`, {
    body: { command: ["echo", "conformance"], "record-output": true },
  });
  assertEquals((await exec.wait({ timeout: 60_000 })).metadata?.return, 0);
  // Running until the instance stops: read as one operation whenever the GETs come to it.
  const sleeping = await client.startOperation(`/1.0/instances/${instance}/exec`, {
    body: { command: ["sleep", "600"] },
  });
  made.operation = sleeping.id;
  const snapshot = await client.startOperation(`/1.0/instances/${instance}/snapshots`, {
    body: { name: "snap0" },
  });
  await snapshot.wait({ timeout: 60_000 });
  const copied = await client.startOperation("/1.0/instances", {
    body: {
      name: `${copy}-tmp`,
      profiles: ["default"], // LXD 5.0 copies without the source's profiles (no root disk)
      source: { type: "copy", source: instance, instance_only: true },
    },
  });
  await copied.wait({ timeout: 120_000 });
  const renamed = await client.startOperation(`/1.0/instances/${copy}-tmp`, {
    body: { name: copy },
  });
  await renamed.wait({ timeout: 60_000 });
  const volume = await client.query("/1.0/storage-pools/default/volumes", {
    method: "POST",
    body: { name: made.volume, type: "custom" },
    wait: true,
  });
  assert(volume !== undefined);
  const volumeSnapshot = await client.startOperation(
    `/1.0/storage-pools/default/volumes/custom/${made.volume}/snapshots`,
    { body: { name: "vsnap0" } },
  );
  await volumeSnapshot.wait({ timeout: 60_000 });
  await client.query("/1.0/network-acls", { method: "POST", body: { name: made.acl } });
  await client.query("/1.0/network-zones", { method: "POST", body: { name: made.zone } });
  await client.query(`/1.0/network-zones/${made.zone}/records`, {
    method: "POST",
    body: { name: "www" },
  });
}

/** Every GET path read, concrete. */
function getPaths(made: Made, daemon: RealDaemon): string[] {
  const i = `/1.0/instances/${made.instance}`;
  const pool = "/1.0/storage-pools/default";
  const volume = `${pool}/volumes/custom/${made.volume}`;
  const zone = `/1.0/network-zones/${made.zone}`;
  const paths = [
    "/1.0",
    "/1.0/instances",
    "/1.0/instances?recursion=1",
    "/1.0/instances?recursion=2",
    i,
    `${i}?recursion=1`,
    `${i}/state`,
    `${i}/snapshots`,
    `${i}/snapshots?recursion=1`,
    `${i}/snapshots/snap0`,
    `${i}/backups`,
    `${i}/backups?recursion=1`,
    `${i}/logs`,
    `${i}/metadata`,
    "/1.0/images",
    "/1.0/images?recursion=1",
    `/1.0/images/${made.fingerprint}`,
    "/1.0/images/aliases",
    "/1.0/images/aliases?recursion=1",
    `/1.0/images/aliases/${daemon.image}`,
    "/1.0/networks",
    "/1.0/networks?recursion=1",
    "/1.0/networks/lo",
    "/1.0/networks/lo/state",
    "/1.0/network-acls",
    "/1.0/network-acls?recursion=1",
    `/1.0/network-acls/${made.acl}`,
    "/1.0/network-zones",
    "/1.0/network-zones?recursion=1",
    zone,
    `${zone}/records`,
    `${zone}/records?recursion=1`,
    `${zone}/records/www`,
    "/1.0/profiles",
    "/1.0/profiles?recursion=1",
    "/1.0/profiles/default",
    "/1.0/projects",
    "/1.0/projects?recursion=1",
    "/1.0/projects/default",
    "/1.0/projects/default/state",
    "/1.0/resources",
    "/1.0/storage-pools",
    "/1.0/storage-pools?recursion=1",
    pool,
    `${pool}/resources`,
    `${pool}/volumes`,
    `${pool}/volumes?recursion=1`,
    `${pool}/volumes/custom`,
    `${pool}/volumes/custom?recursion=1`,
    volume,
    `${volume}/snapshots`,
    `${volume}/snapshots?recursion=1`,
    `${volume}/snapshots/vsnap0`,
    `${volume}/backups`,
    `${volume}/backups?recursion=1`,
    "/1.0/operations",
    "/1.0/operations?recursion=1",
    `/1.0/operations/${made.operation}`,
    "/1.0/certificates",
    "/1.0/certificates?recursion=1",
    "/1.0/warnings",
    "/1.0/warnings?recursion=1",
    "/1.0/cluster",
  ];
  if (made.certificate !== undefined) paths.push(`/1.0/certificates/${made.certificate}`);
  if (made.warning !== undefined) paths.push(`/1.0/warnings/${made.warning}`);
  if (daemon.name === "incus") {
    paths.push(
      `${volume}/state`,
      `${i}/access`,
      `${i}/logs/exec-output`,
      "/1.0/projects/default/access",
      "/1.0/metadata/configuration",
      "/1.0/network-allocations",
      "/1.0/network-integrations",
      "/1.0/network-integrations?recursion=1",
    );
  }
  return paths;
}

/** Deletes what the fixtures made; each step on its own (a failed one does not stop the rest). */
async function cleanUp(client: Client, made: Made): Promise<void> {
  const steps: (() => Promise<unknown>)[] = [
    () =>
      client.startOperation(`/1.0/instances/${made.instance}/snapshots/snap0`, {
        method: "DELETE",
      }).then((handle) => handle.wait({ timeout: 60_000 })),
    ...[made.instance, made.copy, `${made.copy}-tmp`].flatMap((name) => [
      () =>
        client.query(`/1.0/instances/${name}/state`, {
          method: "PUT",
          body: { action: "stop", force: true },
          wait: true,
          timeout: 60_000,
        }),
      () =>
        client.query(`/1.0/instances/${name}`, { method: "DELETE", wait: true, timeout: 60_000 }),
    ]),
    () =>
      client.startOperation(
        `/1.0/storage-pools/default/volumes/custom/${made.volume}/snapshots/vsnap0`,
        { method: "DELETE" },
      ).then((handle) => handle.wait({ timeout: 60_000 })),
    () =>
      client.query(`/1.0/storage-pools/default/volumes/custom/${made.volume}`, {
        method: "DELETE",
      }),
    () => client.query(`/1.0/network-acls/${made.acl}`, { method: "DELETE" }),
    () => client.query(`/1.0/network-zones/${made.zone}`, { method: "DELETE" }),
  ];
  if (made.certificate !== undefined) {
    const fingerprint = made.certificate;
    steps.push(() => client.query(`/1.0/certificates/${fingerprint}`, { method: "DELETE" }));
  }
  for (const step of steps) await step().catch(() => undefined);
}

for (const daemon of DAEMONS) {
  Deno.test(`${daemon.name}: real answers match the generated API types (every GET a fresh daemon answers, the async writes the suites use)`, async () => {
    await using client = connectTo(daemon);
    const tables = TABLES[daemon.name];
    const made: Made = {
      instance: uniqueName("conform"),
      copy: uniqueName("conform-copy"),
      volume: uniqueName("conform-vol"),
      acl: uniqueName("conform-acl"),
      zone: `${uniqueName("conform")}.example.net`,
      fingerprint: "",
      operation: "",
    };
    const controller = new AbortController();
    const events = client.events({ types: ["lifecycle"], signal: controller.signal });
    await events.opened;
    try {
      await makeFixtures(client, daemon, made);
      const cert = Deno.env.get("INCUSOPS_CLUSTER_CERT");
      if (cert !== undefined) {
        const { base64, fingerprint } = await der(await Deno.readTextFile(cert));
        await client.query(`/1.0/certificates/${fingerprint}`, { method: "DELETE" }).catch(
          () => {},
        );
        await client.query("/1.0/certificates", {
          method: "POST",
          body: { type: "client", certificate: base64, name: uniqueName("conform") },
        });
        made.certificate = fingerprint;
      }
      const alias = await client.query(`/1.0/images/aliases/${daemon.image}`);
      made.fingerprint = alias.target;
      made.warning = (await client.query("/1.0/warnings"))[0]?.split("/").at(-1);

      const found: Difference[] = [];
      const read = new Set<string>();
      for (const path of getPaths(made, daemon)) {
        const template = templateOf(tables, path);
        if (template === undefined) throw new Error(`${path}: no documented template`);
        read.add(shapeOf(template));
        const answer = await client.query(path as string).catch((error) => error);
        if (answer instanceof Error) {
          found.push({ at: `GET ${path}`, kind: "type", detail: `refused: ${answer.message}` });
          continue;
        }
        const seen = answerDifferences(tables, template, answer);
        found.push(
          ...(template === "/1.0/resources"
            ? seen.filter((d) => !(d.kind === "missing" && HARDWARE.test(d.at)))
            : seen),
        );
      }
      // /wait on an operation that finishes (a finished one is kept a few seconds only).
      const quick = await client.startOperation(`/1.0/instances/${made.instance}/exec`, {
        body: { command: ["true"] },
      });
      const waitPath = `/1.0/operations/${quick.id}/wait?timeout=30`;
      const waitTemplate = templateOf(tables, waitPath)!;
      read.add(shapeOf(waitTemplate));
      const waited = await client.query(waitPath as string);
      found.push(...answerDifferences(tables, waitTemplate, waited));
      // Events: the lifecycle events of the fixtures, as `Event`.
      let lifecycle: IncusEvent | undefined;
      for await (const event of events) {
        lifecycle = event;
        break;
      }
      assert(lifecycle !== undefined, "a lifecycle event");
      found.push(...differences(tables, "#Event", lifecycle, "Event"));

      assertEquals(describe(found), [], `${daemon.name} answers differently from its types`);

      // The other async write: a snapshot's deletion (an image export has a test of its own).
      const deleted = await client.startOperation(
        `/1.0/instances/${made.instance}/snapshots/snap0`,
        { method: "DELETE" },
      );
      assertEquals((await deleted.wait({ timeout: 60_000 })).status, "Success");
      const skipped: Record<string, string> = { ...NOT_READ, ...NOT_READ_ON[daemon.name] };
      // What this machine lacks: a certificate to trust, a warning to read.
      if (made.certificate === undefined) {
        skipped["/1.0/certificates/{}"] = "INCUSOPS_CLUSTER_CERT unset: no certificate to trust";
      }
      if (made.warning === undefined) skipped["/1.0/warnings/{}"] = "the daemon has no warning";
      const unread = Object.entries(tables.ENDPOINTS)
        .filter(([template, methods]) => methods.GET !== undefined && !read.has(shapeOf(template)))
        .map(([template]) => shapeOf(template))
        .filter((shape) => skipped[shape] === undefined);
      assertEquals(unread, [], "GET endpoints neither read nor listed in NOT_READ");
    } finally {
      controller.abort();
      await cleanUp(client, made);
    }
    const left = await client.query("/1.0/instances");
    assert(!left.some((path) => path.includes(made.instance) || path.includes(made.copy)));
  });

  Deno.test(`${daemon.name}: startOperation() on an endpoint answering synchronously rejects with SyncAnswerError, the write applied`, async () => {
    await using client = connectTo(daemon);
    const acl = uniqueName("conform-acl");
    const path: string = "/1.0/network-acls"; // documented sync: only a string path reaches it
    try {
      const error = await client.startOperation(path, { body: { name: acl } }).catch((e) => e);
      assert(error instanceof SyncAnswerError, String(error));
      const names = await client.query("/1.0/network-acls");
      assert(names.some((name) => name.endsWith(`/${acl}`)), "the write was applied");
    } finally {
      await client.query(`/1.0/network-acls/${acl}`, { method: "DELETE" }).catch(() => {});
    }
  });

  Deno.test(`${daemon.name}: an image export answers an operation, as the table says, and ends in the daemon's own failure (it pushes to itself)`, async () => {
    await using client = connectTo(daemon);
    const tables = TABLES[daemon.name];
    const kinds = ["secret", "export"].map((verb) =>
      tables.ENDPOINTS[`/1.0/images/{fingerprint}/${verb}`]?.POST?.operation
    );
    assertEquals(kinds, ["always", "always"], "the table: both POSTs answer an operation");
    const fingerprint = (await client.query(`/1.0/images/aliases/${daemon.image}`)).target;
    const server = await client.query("/1.0");
    const before = server.config["core.https_address"] ?? "";
    // The daemon pushes to itself over HTTPS: it listens on loopback in its own network namespace.
    const address = `127.0.0.1:${EXPORT_PORT[daemon.name]}`;
    const listen = (value: string) =>
      client.query("/1.0", { method: "PATCH", body: { config: { "core.https_address": value } } });
    const controller = new AbortController();
    const guard = setTimeout(() => controller.abort(), 120_000);
    const events = client.events({ types: ["operation"], signal: controller.signal });
    await events.opened;
    let secret: OperationHandle | undefined;
    try {
      await listen(address);
      secret = await client.startOperation(`/1.0/images/${fingerprint}/secret`);
      const token = secret.operation?.metadata?.secret;
      if (typeof token !== "string") {
        throw new Error("no secret in the secret operation's metadata");
      }
      const exported = await client.startOperation(`/1.0/images/${fingerprint}/export`, {
        body: {
          target: `https://${address}`,
          secret: token,
          certificate: server.environment.certificate,
          aliases: [],
        },
      });
      const started = exported.operation;
      assertEquals([secret.operation?.class, started?.class, started?.description], [
        "token",
        "task",
        "Downloading image",
      ]);
      const found = [secret.operation, started].flatMap((op) =>
        differences(tables, "#Operation", op, "Operation")
      );
      // The image is there already: the push fails on the receiving side, and the export with it.
      const error = await exported.wait({ timeout: 60_000 }).catch((e) => e);
      assert(error instanceof OperationFailedError, String(error));
      assertStringIncludes(error.err, "Image with same fingerprint already exists");
      // The receiving side's download, seen as an event: it names the fingerprint it refused.
      let received: Operation | undefined;
      for await (const event of events) {
        const op = event.metadata as Operation;
        if (op.id === exported.id || op.description !== "Downloading image") continue;
        if (op.status !== "Failure") continue;
        received = op;
        break;
      }
      assertEquals(received?.metadata?.fingerprint, fingerprint, "the receiving side's download");
      found.push(...differences(tables, "#Operation", received, "Operation"));
      assertEquals(describe(found), [], `${daemon.name} answers differently from its types`);
    } finally {
      clearTimeout(guard);
      controller.abort();
      await secret?.cancel().catch(() => {}); // a secret the export did not use
      await listen(before);
    }
  });
}
