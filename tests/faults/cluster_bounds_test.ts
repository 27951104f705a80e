/**
 * Failover and cluster bounds (issue 26 §1, §2) with hostile loopback
 * members: a member list of 60,000 is capped (and merged in linear time),
 * an oversized member list is refused by the byte cap, a move across six
 * silent members ends within `requestTimeout`, and a list on a cluster of
 * 3,000 members probes a few at a time.
 */

import { assert, assertEquals } from "@std/assert";
import { Failover, MAX_MEMBERS, type Steerable } from "../../src/incus/transport/failover.ts";
import { fake } from "../_fake.ts";
import { within } from "./_bounded.ts";

/** A loopback HTTP member answering `handler`. */
function member(handler: (request: Request) => Response | Promise<Response>) {
  const controller = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: controller.signal, onListen: () => {} },
    handler,
  );
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    async [Symbol.asyncDispose]() {
      controller.abort();
      await server.finished;
    },
  };
}

/** A loopback member that accepts connections and never answers. */
function silent() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })();
  return {
    origin: `http://127.0.0.1:${listener.addr.port}`,
    get connections() {
      return held.length;
    },
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting.catch(() => {});
      for (const conn of held) conn.close();
    },
  };
}

/** What the failover steers: the origin, a plain HTTP client, the limits. */
function steerable(origin: string, limits: { requestTimeout?: number; maxResponseBytes?: number }) {
  const transport: { -readonly [K in keyof Steerable]: Steerable[K] } & Disposable = {
    origin,
    httpClient: Deno.createHttpClient({}),
    closed: false,
    requestTimeout: limits.requestTimeout ?? 60_000,
    maxResponseBytes: limits.maxResponseBytes ?? 64 << 20,
    moveTo(to: string) {
      transport.origin = to;
    },
    [Symbol.dispose]() {
      transport.httpClient.close();
    },
  };
  return transport;
}

const members = (count: number) => ({
  type: "sync",
  status_code: 200,
  metadata: Array.from(
    { length: count },
    (_, i) => ({ url: `https://10.${i >> 16}.${(i >> 8) & 255}.${i & 255}:8443` }),
  ),
});

Deno.test("8.97 failover: a member list of 60,000 is capped at MAX_MEMBERS, merged once each", async () => {
  await using first = member(() => Response.json(members(60_000)));
  using transport = steerable(first.origin, {});
  const failover = new Failover([first.origin]);
  await failover.learn(transport);
  assertEquals(failover.origins.length, MAX_MEMBERS);
  assertEquals(new Set(failover.origins).size, MAX_MEMBERS);
  assertEquals(failover.origins[0], first.origin);
});

Deno.test("8.98 failover: a member list larger than maxResponseBytes is refused at the cap (no member learned)", async () => {
  const body = JSON.stringify(members(2_000));
  await using first = member(() =>
    new Response(
      new ReadableStream({ // no length declared: the cap counts the bytes as they come
        start(controller) {
          controller.enqueue(new TextEncoder().encode(body));
          controller.close();
        },
      }),
    )
  );
  using transport = steerable(first.origin, { maxResponseBytes: 10_000 });
  const failover = new Failover([first.origin]);
  await failover.learn(transport);
  assertEquals(failover.origins, [first.origin]);
});

Deno.test("8.99 failover: six silent members: the move gives up within requestTimeout, not 6 × 5 s; a live one wins", async () => {
  await using a = silent();
  await using b = silent();
  await using c = silent();
  await using d = silent();
  await using e = silent();
  await using f = silent();
  await using live = member(() => Response.json(members(0)));
  const dead = [a, b, c, d, e, f];
  const failed = "http://127.0.0.1:1";
  using transport = steerable(failed, { requestTimeout: 2_000 });
  // 6 × 5 s one after another before (30 s); one requestTimeout now. The bound only guards a hang.
  const failover = new Failover([failed, ...dead.map((m) => m.origin)]);
  assertEquals(await within(10_000, failover.moveOff(transport, failed)), false);
  assertEquals(transport.origin, failed);
  assert(dead.every((m) => m.connections <= 1), "each silent member probed once");
  const withLive = new Failover([failed, live.origin, ...dead.map((m) => m.origin)]);
  assertEquals(await within(10_000, withLive.moveOff(transport, failed)), true);
  assertEquals(transport.origin, live.origin);
});

Deno.test("8.100 cluster list: 3,000 members are probed a few at a time, not all at once", async () => {
  await using t = await fake();
  const { daemon, client } = t;
  let inFlight = 0;
  let most = 0;
  daemon.interceptor = async (_request, url) => {
    const envelope = (metadata: unknown) => Response.json({ type: "sync", metadata });
    if (url.pathname === "/1.0" && url.searchParams.has("target")) {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight--;
      return envelope({});
    }
    if (url.pathname === "/1.0") return envelope({ environment: { server_clustered: true } });
    if (url.pathname === "/1.0/cluster/members") {
      const names = Array.from({ length: 3_000 }, (_, i) => `m${i}`);
      return envelope(names.map((name) => ({ server_name: name, url: "", status: "Online" })));
    }
  };
  assertEquals(await client.operations.list(), []);
  assertEquals(daemon.requests.filter((r) => r.search.startsWith("?target=")).length, 3_000);
  assert(most <= 8, `${most} probes in flight at once`);
});
