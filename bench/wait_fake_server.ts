// deno-lint-ignore-file no-console -- a benchmark reports its figures on stdout
// A FakeDaemon in a process of its own for bench/wait_scale.ts: creates N
// running operations, prints `{ path, ids }` as one JSON line, finishes
// them all when a line "finish" arrives on stdin (in a random order), and
// serves until stdin closes.
import { FakeDaemon } from "../src/testing/mod.ts";

const count = Number(Deno.args[0] ?? "1000");
await using daemon = await FakeDaemon.start({ flavor: "incus", retentionMs: 60_000 });
const ids = Array.from({ length: count }, () => daemon.createOperation().id);
console.log(JSON.stringify({ path: daemon.path, ids }));
const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
for await (const chunk of lines) {
  if (!chunk.includes("finish")) continue;
  const order = [...ids].sort(() => Math.random() - 0.5);
  for (const id of order) daemon.finish(id, { status: "Success", metadata: { return: 0 } });
  for (const id of ids) ids.splice(0, ids.length, ...ids.filter((x) => x !== id));
}
