/**
 * Hostile shapes and texts from a daemon (issue 26 §4): lists whose status
 * groups hold `null`, a string or a `constructor` group, project lists that
 * are not lists, and deeply nested progress end as `ProtocolError`s naming
 * where (or, for progress, are shown without recursion); every regular
 * expression run on daemon text gets 1 MB of adversarial input and stays
 * correct (linear: the tests finish at once; timings are in the report).
 */

import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { parseProgress, ProtocolError } from "../../mod.ts";
import { forDisplay, formatOperations, projectOf } from "../../src/cli/format.ts";
import { addressesIn } from "../../src/incus/cluster.ts";
import { parseSize } from "../../src/incus/progress.ts";
import { withoutQueries } from "../../src/incus/secrets.ts";
import { fake } from "../_fake.ts";

const MB = 1 << 20;
const OP = {
  id: "9a8b7c6d-1234-4abc-9def-0123456789ab",
  class: "task",
  description: "d",
  created_at: "",
  updated_at: "",
  status: "Running",
  status_code: 103,
  resources: {},
  metadata: {},
  may_cancel: false,
  err: "",
  location: "none",
} as const;
const envelope = (metadata: unknown) => Response.json({ type: "sync", status_code: 200, metadata });

Deno.test("8.92 hostile list: a null, a string or a non-operation in a status group is a ProtocolError naming where", async () => {
  await using t = await fake();
  const { daemon, client } = t;
  const cases: [string, string][] = [
    ['{"running":[null]}', "null at metadata.running[0], not an operation"],
    ['{"running":[{"id":1}]}', "object at metadata.running[0], not an operation"],
    ['{"running":"abc"}', "string at metadata.running, not a list"],
    ['"abc"', "string at metadata.0, not a list"],
  ];
  for (const [metadata, where] of cases) {
    daemon.interceptor = (_request, url) =>
      url.pathname === "/1.0/operations"
        ? new Response(`{"type":"sync","status_code":200,"metadata":${metadata}}`)
        : undefined;
    for (const call of [() => client.operations.list(), () => client.operations.listByStatus()]) {
      const error = await assertRejects(call, ProtocolError);
      assertStringIncludes(error.message, where);
      assertEquals([error.method, error.path, error.status], ["GET", "/1.0/operations", 200]);
    }
  }
  daemon.interceptor = (_request, url) =>
    url.pathname === "/1.0/operations" ? envelope({ success: [7] }) : undefined;
  const ids = await assertRejects(() => client.operations.list({ recursion: 0 }), ProtocolError);
  assertStringIncludes(ids.message, "number at metadata.success[0], not an operation URL");
  daemon.interceptor = (_request, url) =>
    url.pathname === "/1.0/operations" ? envelope({ running: null }) : undefined;
  assertEquals(await client.operations.list(), []); // a null group is an empty one
});

Deno.test("8.93 hostile list, all-projects fallback (LXD 5.0): a constructor group is a group; a string group or an odd project list is a ProtocolError", async () => {
  await using t = await fake({ flavor: "lxd" });
  const { daemon, client } = t;
  const op = daemon.createOperation({ description: "kept" });
  const answer = JSON.stringify({
    type: "sync",
    status_code: 200,
    metadata: { constructor: [op] },
  });
  daemon.interceptor = (_request, url) =>
    url.pathname === "/1.0/operations" ? new Response(answer) : undefined;
  const listed = await client.operations.list({ allProjects: true });
  assertEquals(listed.map((item) => item.description), ["kept"]);
  daemon.interceptor = (_request, url) =>
    url.pathname === "/1.0/operations" ? envelope({ running: "abc" }) : undefined;
  const error = await assertRejects(
    () => client.operations.list({ allProjects: true, recursion: 0 }),
    ProtocolError,
  );
  assertStringIncludes(error.message, "string at metadata.running, not a list");
  for (const projects of ["abc", { a: 1 }, ["/1.0/projects/%zz"], [null], [7]]) {
    daemon.interceptor = (_request, url) =>
      url.pathname === "/1.0/projects" ? envelope(projects) : undefined;
    const bad = await assertRejects(
      () => client.operations.list({ allProjects: true }),
      ProtocolError,
      "GET /1.0/projects: not a list of project URLs",
    );
    assertEquals(bad.path, "/1.0/projects", JSON.stringify(projects));
  }
});

Deno.test("8.94 hostile progress: structured progress nested 100,000 deep is shown without recursion; a wait on it succeeds", async () => {
  await using t = await fake();
  const { daemon, client } = t;
  const deep = JSON.parse("[".repeat(100_000) + "]".repeat(100_000));
  const progress = parseProgress({ progress: { stage: deep, percent: deep, detail: deep, n: 3 } });
  assertEquals(progress, { stage: "…", text: "stage=… percent=… detail=… n=3" });
  const op = daemon.createOperation();
  const opText = JSON.stringify({ ...op, status: "Success", status_code: 200 })
    .replace(
      '"metadata":{}',
      `"metadata":{"progress":{"stage":"x","detail":${"[".repeat(100_000)}${"]".repeat(100_000)}}}`,
    );
  daemon.interceptor = (_request, url) =>
    url.pathname.startsWith(`/1.0/operations/${op.id}`)
      ? new Response(`{"type":"sync","status_code":200,"metadata":${opText}}`)
      : undefined;
  const seen: string[] = [];
  const final = await client.operations.wait(op.id, {
    timeout: 10_000,
    onProgress: (parsed) => seen.push(parsed.text),
  });
  assertEquals(final.status, "Success");
});

Deno.test("8.95 daemon text, 1 MB adversarial: parseProgress finds the percent in one pass", () => {
  const percent = (text: string) => parseProgress({ download_progress: text })?.percent;
  // Digits that never meet a "%": the old pattern backtracked quadratically (35 s on 200 KB).
  assertEquals(percent("1".repeat(MB)), undefined);
  assertEquals(percent("1.".repeat(MB / 2)), undefined);
  assertEquals(percent("1".repeat(MB) + "%"), undefined); // not a finite number
  assertEquals(percent("0".repeat(MB) + "42%"), 42);
  assertEquals(percent(`${"9.".repeat(MB / 2)}5%`), 9.5);
  assertEquals(percent(`${"%".repeat(MB)}7%`), 7);
  assertEquals(percent("rootfs: 1.2.3% (2MB/s)"), 2.3);
  assertEquals(percent("rootfs: 5.% 3%"), 3);
  const speed = parseProgress({ p_progress: `x: (${"/s".repeat(MB / 2)}` });
  assertEquals(speed?.speed, undefined);
  assertEquals(parseProgress({ p_progress: `x: ${"(a".repeat(MB / 2)}(12MB/s)` })?.speed, 12e6);
  assertEquals(parseProgress({ p_progress: `x: ${"1".repeat(MB)} ` })?.processed, undefined);
  assertEquals(parseSize(`${"1".repeat(MB)}X`), undefined);
  assertEquals(parseSize(`${".".repeat(MB)}MB`), undefined);
});

Deno.test("8.95 daemon text, 1 MB adversarial: member addresses, URL queries, projects, created_at, tokens", async () => {
  assertEquals(addressesIn("https://a".repeat(MB / 9)), []);
  assertEquals(addressesIn(`connect to ${"a.".repeat(MB / 2)}:8443`).length, 1);
  assertEquals(addressesIn("https://[" + ":".repeat(MB)), []);
  const urls = "a://".repeat(MB / 4);
  assertEquals(withoutQueries(urls), urls);
  assertEquals(
    withoutQueries(`${"x ".repeat(MB / 2)}https://m1:8443/1.0?secret=s`).slice(-20),
    "https://m1:8443/1.0?***".slice(-20),
  );
  const query = `/1.0/instances/c1?${"a=&".repeat(MB / 3)}project=p`;
  assertEquals(projectOf({ resources: { instances: [query] } } as never), "p");
  const created = `2026-12-01T10:00:00.${"1".repeat(MB)}Z`;
  const [row] = (await formatOperations([{ ...OP, created_at: created }], "csv")).split("\n");
  assertEquals(row.split(",").at(-1), "2026-12-01 10:00:00 UTC");
  const token = "a".repeat(MB) + "g"; // hex-like up to the last character
  const shown = forDisplay({ class: "websocket", metadata: { fs: token, ok: "a".repeat(MB) } });
  assertEquals([shown.metadata.fs, shown.metadata.ok], [token, "********"]);
});

Deno.test("8.108 hostile list, all-projects fallback (LXD 5.0): 200 projects are listed a few at a time, not all at once", async () => {
  await using t = await fake({ flavor: "lxd" });
  const { daemon, client } = t;
  const projects = Array.from({ length: 200 }, (_, i) => `/1.0/projects/p${i}`);
  let inFlight = 0;
  let most = 0;
  let lists = 0;
  daemon.interceptor = async (_request, url) => {
    if (url.pathname === "/1.0/projects") return envelope(projects);
    if (url.pathname !== "/1.0/operations") return undefined;
    inFlight++;
    lists++;
    most = Math.max(most, inFlight);
    // Held a moment so that an unbounded fan-out shows; the bound holds however long this is.
    await new Promise((resolve) => setTimeout(resolve, 5));
    inFlight--;
    return envelope({});
  };
  assertEquals(await client.operations.list({ allProjects: true }), []);
  assertEquals(lists, 200);
  assert(most <= 8, `${most} lists in flight at once`);
});
