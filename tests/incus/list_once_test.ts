import { assertEquals, assertRejects } from "@std/assert";
import { connect, ConnectionError, IncusError } from "../../mod.ts";
import { FakeDaemon } from "../../src/testing/mod.ts";
import { listOnce } from "../../src/incus/list_once.ts";

const failingServerInfo = (_request: Request, url: URL) =>
  url.pathname === "/1.0"
    ? Response.json({ type: "error", error: "server info broken", error_code: 500 }, {
      status: 500,
    })
    : undefined;

Deno.test("listOnce lists what client.operations.list() lists, on a short-lived or pooled transport", async () => {
  await using daemon = await FakeDaemon.start();
  daemon.createOperation({ description: "first" });
  daemon.createOperation({ description: "second", project: "web" });
  await using client = connect({ socket: daemon.path });
  for (const shortLived of [true, false]) {
    const options = { socket: daemon.path, shortLived };
    assertEquals(await listOnce(options, { allProjects: false }), await client.operations.list());
    assertEquals(
      await listOnce(options, { allProjects: true }),
      await client.operations.list({ allProjects: true }),
    );
    assertEquals(
      (await listOnce({ ...options, project: "web" }, {})).map((op) => op.description),
      ["second"],
    );
  }
});

Deno.test("listOnce asks whether the daemon is a cluster with the list: a failure there is the list's only when the client's would be", async () => {
  await using daemon = await FakeDaemon.start();
  await using client = connect({ socket: daemon.path });
  daemon.interceptor = failingServerInfo;
  // No operation tells the location: both need GET /1.0, and both report its failure.
  const clientError = await assertRejects(() => client.operations.list(), IncusError);
  const onceError = await assertRejects(
    () => listOnce({ socket: daemon.path, shortLived: true }, {}),
    IncusError,
  );
  assertEquals(
    [onceError.status, onceError.method, onceError.path, onceError.message],
    [clientError.status, clientError.method, clientError.path, clientError.message],
  );
  // The operations tell (location "none"): the early GET /1.0 failing changes nothing.
  daemon.createOperation();
  assertEquals(
    await listOnce({ socket: daemon.path, shortLived: true }, {}),
    await client.operations.list(),
  );
});

Deno.test("listOnce: a socket that is gone fails as client.operations.list() does, nothing left open", async () => {
  const daemon = await FakeDaemon.start();
  const path = daemon.path;
  await daemon.close();
  await using client = connect({ socket: path, shortLived: true });
  const expected = await assertRejects(() => client.operations.list(), ConnectionError);
  const error = await assertRejects(
    () => listOnce({ socket: path, shortLived: true }, {}),
    ConnectionError,
  );
  assertEquals([error.message, error.method, error.path], [
    expected.message,
    expected.method,
    expected.path,
  ]);
});

Deno.test("listOnce: once the list has failed, the early cluster check stops, even between retries", async () => {
  await using daemon = await FakeDaemon.start();
  // GET /1.0 answers 503 (retried after 30 s under this policy); the list answers 404 after it.
  let serverInfoAnswered: () => void = () => {};
  const answered = new Promise<void>((resolve) => serverInfoAnswered = resolve);
  daemon.interceptor = async (_request, url) => {
    if (url.pathname === "/1.0") {
      serverInfoAnswered();
      return Response.json({ type: "error", error: "busy", error_code: 503 }, { status: 503 });
    }
    await answered;
    return Response.json({ type: "error", error: "not found", error_code: 404 }, { status: 404 });
  };
  const retry = { initial: 30_000, max: 30_000, jitter: false };
  const listed = listOnce({ socket: daemon.path, shortLived: true, retry }, {}).catch((e) => e);
  // The bound only catches a listOnce that waits out the 30 s pause.
  let bound: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    listed,
    new Promise((resolve) => bound = setTimeout(() => resolve("still waiting"), 20_000)),
  ]);
  clearTimeout(bound);
  assertEquals(outcome instanceof IncusError && [outcome.status, outcome.path], [
    404,
    "/1.0/operations",
  ]);
});
