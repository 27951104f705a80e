// deno-lint-ignore-file no-console -- a benchmark reports its figures on stdout
// Benchmark peer: the npm `incus` client (axios over the Unix socket).
// Usage: node incus_npm_peer.cjs get|list SOCKET ID N CONCURRENCY
// Installed by bench/report.ts into a temporary folder (NODE_PATH), never a
// dependency of the project. Prints {"seconds": ..., "calls": N}.
"use strict";
const { connectUnix } = require("incus");

const [mode, socket, id, countText, concurrencyText] = process.argv.slice(2);
const count = Number(countText);
const concurrency = Number(concurrencyText || "1");
const client = connectUnix(socket);

async function call() {
  if (mode === "get") {
    const response = await client.get(`/operations/${id}`);
    if (response.data.metadata.id !== id) throw new Error("wrong operation");
  } else {
    const response = await client.get("/operations", { params: { recursion: 1 } });
    if (typeof response.data.metadata !== "object") throw new Error("no list");
  }
}

async function run(calls) {
  let left = calls;
  const worker = async () => {
    while (left > 0) {
      left--;
      await call();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

(async () => {
  await run(Math.min(200, count)); // WARM_UP_CALLS, as every client
  const start = process.hrtime.bigint();
  await run(count);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(JSON.stringify({ seconds, calls: count }));
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
