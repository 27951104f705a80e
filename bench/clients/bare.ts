/**
 * Separate-process contender of `bench/report.ts`: bare `fetch` on one
 * pooled `Deno.HttpClient` over the socket, with the library's pool
 * options (the limit the library is measured against).
 *
 * @module
 */

import { bareClient, bareJson } from "./_bare.ts";
import { clientArgs, timeCalls } from "./_loop.ts";

const args = clientArgs();
const client = bareClient(args.socket);
const path = args.mode === "get" ? `/1.0/operations/${args.id}` : "/1.0/operations?recursion=1";
await timeCalls(() => bareJson(client, path), args);
client.close();
