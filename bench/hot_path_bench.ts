/**
 * `deno task bench:hot`: the hot paths in isolation, with Deno's own
 * benchmark runner, each group against its baseline (bare `fetch` on one
 * pooled client over the same Unix socket). The fake daemon serves from
 * this process, so absolute times include its work; the ratios are what
 * to read. The daemon-backed report is `deno task bench`.
 *
 * @module
 */

import { connect } from "../mod.ts";
import { FakeDaemon } from "../src/testing/mod.ts";

const daemon = await FakeDaemon.start();
const [{ id }] = Array.from({ length: 1_000 }, () => daemon.createOperation());
// A second daemon whose list answer is chunked (no content-length), as Incus
// and LXD send anything over 4 KiB: its own answer, served in two pieces.
const chunked = await FakeDaemon.start();
for (let i = 0; i < 10; i++) chunked.createOperation({ description: "Executing command" });
const listAnswer = await (async () => {
  using reader = Deno.createHttpClient({ proxy: { transport: "unix", path: chunked.path } });
  return await (await fetch("http://127.0.0.1/1.0/operations?recursion=1", { client: reader }))
    .bytes();
})();
chunked.interceptor = (_request, url) =>
  url.pathname !== "/1.0/operations" ? undefined : new Response(
    new ReadableStream({
      start(controller) {
        controller.enqueue(listAnswer.slice(0, 4_000));
        controller.enqueue(listAnswer.slice(4_000));
        controller.close();
      },
    }),
  );

const client = connect({ socket: daemon.path });
const chunkedLibrary = connect({ socket: chunked.path });
const bare = Deno.createHttpClient({ proxy: { transport: "unix", path: daemon.path } });
const bareChunked = Deno.createHttpClient({ proxy: { transport: "unix", path: chunked.path } });

async function bareJson(httpClient: Deno.HttpClient, path: string): Promise<unknown> {
  const envelope = await (await fetch(`http://127.0.0.1${path}`, { client: httpClient })).json();
  if (envelope.type !== "sync") throw new Error(JSON.stringify(envelope));
  return envelope.metadata;
}

Deno.bench("get: bare fetch", { group: "get", baseline: true }, async () => {
  await bareJson(bare, `/1.0/operations/${id}`);
});
Deno.bench("get: operations.get", { group: "get" }, async () => {
  await client.operations.get(id);
});

Deno.bench("list 1,000: bare fetch", { group: "list 1,000", baseline: true }, async () => {
  await bareJson(bare, "/1.0/operations?recursion=1");
});
Deno.bench("list 1,000: operations.list (flattened, oldest first)", {
  group: "list 1,000",
}, async () => {
  await client.operations.list();
});

Deno.bench("chunked list of 10: bare fetch (uncapped)", {
  group: "chunked",
  baseline: true,
}, async () => {
  await bareJson(bareChunked, "/1.0/operations?recursion=1");
});
Deno.bench("chunked list of 10: operations.list (64 MiB cap)", { group: "chunked" }, async () => {
  await chunkedLibrary.operations.list();
});

// Deno runs the benchmarks after this module's body; close everything once they are done.
globalThis.addEventListener("unload", () => {
  client.close();
  chunkedLibrary.close();
  bare.close();
  bareChunked.close();
});
