/**
 * A raw Unix-socket server that misbehaves on cue, for the fault matrix:
 * each accepted connection is handed to `behave`, which may answer
 * garbage, half an answer, nothing, or close at once.
 */

/** A running misbehaving server. */
export interface Misbehaving extends AsyncDisposable {
  /** Its socket path. */
  path: string;
  /** Connections accepted so far. */
  readonly accepted: number;
}

const encoder = new TextEncoder();

/** Writes raw HTTP/1.1 text. */
export async function write(conn: Deno.Conn, text: string | Uint8Array): Promise<void> {
  const bytes = typeof text === "string" ? encoder.encode(text) : text;
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}

/** Reads the request head (up to the blank line); resolves false if the peer went away. */
export async function readHead(conn: Deno.Conn): Promise<boolean> {
  const buffer = new Uint8Array(65536);
  let text = "";
  while (!text.includes("\r\n\r\n")) {
    const n = await conn.read(buffer).catch(() => null);
    if (n === null) return false;
    text += new TextDecoder().decode(buffer.subarray(0, n));
  }
  return true;
}

/** An HTTP/1.1 response head with a JSON content type. */
export function head(status: number, length?: number): string {
  const size = length === undefined ? "" : `content-length: ${length}\r\n`;
  return `HTTP/1.1 ${status} X\r\ncontent-type: application/json\r\n${size}\r\n`;
}

/** Starts a server on a temporary socket; every connection goes to `behave`. */
export function misbehaving(behave: (conn: Deno.Conn) => Promise<void>): Misbehaving {
  const dir = Deno.makeTempDirSync({ prefix: "incusops-fault-" });
  const path = `${dir}/unix.socket`;
  const listener = Deno.listen({ transport: "unix", path });
  const open = new Set<Deno.Conn>();
  const handlers = new Set<Promise<void>>();
  let accepted = 0;
  const loop = (async () => {
    for await (const conn of listener) {
      accepted++;
      open.add(conn);
      const handler = behave(conn).catch(() => {}).finally(() => {
        open.delete(conn);
        try {
          conn.close();
        } catch {
          // already closed
        }
      });
      handlers.add(handler);
      handler.finally(() => handlers.delete(handler));
    }
  })();
  return {
    path,
    get accepted() {
      return accepted;
    },
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const conn of open) {
        try {
          conn.close();
        } catch {
          // already closed
        }
      }
      await loop.catch(() => {});
      await Promise.allSettled([...handlers]);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/**
 * A Unix-socket proxy in front of a daemon (real or fake) that passes every request
 * and answer through, except what the daemon sends on `/1.0/events` after
 * the upgrade: events are lost in transit while the connection stays up,
 * as a daemon under load may lose them. With `hang`, a connection whose daemon
 * side ended stays open on the client side (a daemon that never completes
 * a websocket close) until the proxy is disposed.
 */
export function eventLosingProxy(
  upstream: string,
  options: { hang?: boolean } = {},
): Misbehaving & { readonly dropped: number } {
  let dropped = 0;
  const proxy = misbehaving(async (client) => {
    const server = await Deno.connect({ transport: "unix", path: upstream });
    let events = false;
    const toServer = (async () => {
      const buffer = new Uint8Array(65536);
      for (let n; (n = await client.read(buffer)) !== null;) {
        // Deno sends the absolute form over a Unix socket: "GET http://127.0.0.1/1.0/events?...".
        if (/^GET \S*\/1\.0\/events[? ]/m.test(new TextDecoder().decode(buffer.subarray(0, n)))) {
          events = true;
        }
        await server.write(buffer.slice(0, n));
      }
    })();
    const toClient = (async () => {
      const buffer = new Uint8Array(65536);
      let head = "";
      for (let n; (n = await server.read(buffer)) !== null;) {
        if (events && head.includes("\r\n\r\n")) { // the upgrade is done: drop frames
          dropped += n;
          continue;
        }
        if (events) head += new TextDecoder().decode(buffer.subarray(0, n));
        await client.write(buffer.slice(0, n));
      }
    })();
    try {
      await Promise.race([toServer, toClient]);
      if (options.hang && events) await toServer.catch(() => {}); // until disposed
    } finally {
      // Both sides: a websocket client waiting for a close reply the proxy
      // swallowed only ends when its connection does.
      server.close();
      client.close();
      await Promise.allSettled([toServer, toClient]);
    }
  });
  return Object.defineProperty(proxy, "dropped", { get: () => dropped }) as typeof proxy & {
    readonly dropped: number;
  };
}

/**
 * A Unix-socket proxy in front of a daemon that passes everything through,
 * except that on websocket connections it never completes the closing
 * handshake: a close frame from either side is not passed on, nor is what
 * follows it, and the client's connection stays open until the client
 * drops it (a daemon hung in the closing handshake). `swallowed` counts
 * the close frames it held.
 */
export function closeSwallowingProxy(upstream: string): Misbehaving & {
  readonly swallowed: number;
} {
  let swallowed = 0;
  const isClose = (byte: number) => (byte & 0x8f) === 0x88;
  const proxy = misbehaving(async (client) => {
    const server = await Deno.connect({ transport: "unix", path: upstream });
    let websocket = false;
    let held = false;
    const hold = () => {
      if (!held) swallowed++;
      held = true;
    };
    const toServer = (async () => {
      const buffer = new Uint8Array(65536);
      for (let n; (n = await client.read(buffer)) !== null;) {
        const text = new TextDecoder().decode(buffer.subarray(0, Math.min(n, 512)));
        if (!websocket && /^GET \S*\/websocket[? ]/.test(text)) websocket = true;
        else if (websocket && isClose(buffer[0])) hold();
        if (!held) await server.write(buffer.slice(0, n)).catch(() => {});
      }
    })();
    const toClient = (async () => {
      const buffer = new Uint8Array(65536);
      let upgraded = false;
      for (let n; (n = await server.read(buffer)) !== null;) {
        if (websocket && upgraded && isClose(buffer[0])) hold();
        if (websocket) upgraded = true;
        if (!held) await client.write(buffer.slice(0, n));
      }
    })();
    try {
      // A websocket's connection lasts as long as the client keeps it.
      await Promise.race([toServer, toClient.then(() => websocket ? toServer : undefined)])
        .catch(() => {});
    } finally {
      server.close();
      client.close();
      await Promise.allSettled([toServer, toClient]);
    }
  });
  return Object.defineProperty(proxy, "swallowed", { get: () => swallowed }) as typeof proxy & {
    readonly swallowed: number;
  };
}

/**
 * A Unix-socket proxy in front of a daemon that passes everything through,
 * except that on websocket connections it stops reading what the client
 * sends once the upgrade request is passed on (a daemon that never reads
 * exec's control socket): the client's writes pile up on its side. What
 * the daemon sends still reaches the client.
 */
export function readStallingProxy(upstream: string): Misbehaving {
  const servers = new Set<Deno.Conn>();
  const proxy = misbehaving(async (client) => {
    const server = await Deno.connect({ transport: "unix", path: upstream });
    servers.add(server);
    const toServer = (async () => {
      const buffer = new Uint8Array(65536);
      for (let n; (n = await client.read(buffer)) !== null;) {
        await server.write(buffer.slice(0, n));
        const text = new TextDecoder().decode(buffer.subarray(0, Math.min(n, 512)));
        if (/^GET \S*\/websocket[? ]/.test(text)) return await new Promise(() => {}); // until disposed
      }
    })();
    const toClient = (async () => {
      const buffer = new Uint8Array(65536);
      for (let n; (n = await server.read(buffer)) !== null;) await client.write(buffer.slice(0, n));
    })();
    try {
      await Promise.race([toServer, toClient]).catch(() => {});
    } finally {
      servers.delete(server);
      for (const conn of [server, client]) {
        try {
          conn.close();
        } catch {
          // already closed
        }
      }
      await toClient.catch(() => {});
    }
  });
  const dispose = proxy[Symbol.asyncDispose].bind(proxy);
  // Closing the daemon side too ends the stalled connections.
  proxy[Symbol.asyncDispose] = () => {
    for (const server of servers) server.close();
    return dispose();
  };
  return proxy;
}
