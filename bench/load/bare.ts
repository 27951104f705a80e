// Module-load benchmark baseline: the same first call with bare fetch.
const client = Deno.createHttpClient({ proxy: { transport: "unix", path: Deno.args[0] } });
const response = await fetch("http://127.0.0.1/1.0/operations?recursion=1", { client });
const envelope = await response.json();
if (envelope.type !== "sync") throw new Error("unexpected answer");
client.close();
