// deno-lint-ignore-file no-console -- a benchmark reports its figures on stdout
// Serves N running operations from a FakeDaemon for bench/report.ts, in a
// process of its own (so the server's work and allocations are not the
// client's). Prints the socket path, then serves until stdin closes.
import { FakeDaemon } from "../src/testing/mod.ts";

const count = Number(Deno.args[0] ?? "1");
await using daemon = await FakeDaemon.start({ flavor: "incus" });
for (let i = 0; i < count; i++) {
  daemon.createOperation({
    description: "Executing command",
    resources: { instances: ["/1.0/instances/c1"] },
  });
}
console.log(daemon.path);
for await (const _ of Deno.stdin.readable) { /* until the report closes stdin */ }
