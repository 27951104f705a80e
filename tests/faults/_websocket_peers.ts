/**
 * Hostile websocket daemons for the fault matrix (and `bench/websocket_floods.ts`):
 * Unix-socket servers that accept any websocket upgrade, then flood the
 * client with large messages, endless empty continuation frames, or pings
 * while never reading.
 */

import { type Misbehaving, misbehaving, write } from "./_misbehaving.ts";

const encoder = new TextEncoder();

/** A server frame (unmasked) with `opcode` and `payload`; FIN unless `more`. */
export function serverFrame(opcode: number, payload: Uint8Array, more = false): Uint8Array {
  const n = payload.length;
  const head = n < 126
    ? [n]
    : n < 65536
    ? [126, n >> 8, n & 0xff]
    : [127, 0, 0, 0, 0, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  const frame = new Uint8Array(1 + head.length + n);
  frame[0] = (more ? 0 : 0x80) | opcode;
  frame.set(head, 1);
  frame.set(payload, 1 + head.length);
  return frame;
}

/** A text frame (FIN) holding `text`. */
export function textFrame(text: string): Uint8Array {
  return serverFrame(1, encoder.encode(text));
}

/** `frame` repeated `times` times, for writes of one block. */
export function repeated(frame: Uint8Array, times: number): Uint8Array {
  const block = new Uint8Array(frame.length * times);
  for (let i = 0; i < times; i++) block.set(frame, i * frame.length);
  return block;
}

/** Reads the upgrade request and answers 101; false if the client went away. */
export async function acceptUpgrade(conn: Deno.Conn): Promise<boolean> {
  const buffer = new Uint8Array(65536);
  let head = "";
  while (!head.includes("\r\n\r\n")) {
    const n = await conn.read(buffer);
    if (n === null) return false;
    head += new TextDecoder().decode(buffer.subarray(0, n));
  }
  const key = /sec-websocket-key:\s*(\S+)/i.exec(head)?.[1] ?? "";
  const digest = await crypto.subtle.digest(
    "SHA-1",
    encoder.encode(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"),
  );
  const accept = btoa(String.fromCharCode(...new Uint8Array(digest)));
  await write(
    conn,
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
  return true;
}

/** The floods a hostile daemon can send once upgraded. */
export type Flood = "big-events" | "empty-continuations" | "pings";

/** A logging event of about `bytes` bytes, as one text frame. */
export function eventFrame(bytes: number): Uint8Array {
  return textFrame(JSON.stringify({
    type: "logging",
    timestamp: new Date(0).toISOString(),
    metadata: { message: "x".repeat(bytes), level: "info", context: {} },
  }));
}

/** A flooding daemon: what it wrote, and the pongs it read once done. */
export interface FloodingDaemon extends Misbehaving {
  /** Blocks written so far. */
  readonly written: number;
  /** Pongs read from the client after the last block (until its close). */
  readonly pongs: number;
  /** Resolves once a connection's handler ended (the client went away, or closed). */
  readonly ended: Promise<void>;
}

/**
 * A daemon answering every websocket upgrade with `flood` (or `flood`'s
 * bytes, when given bytes), `blocks` times (forever by default), never
 * reading meanwhile: `big-events`, 1 MiB events as fast as the client takes
 * them; `empty-continuations`, the start of a text message, then empty
 * continuation frames; `pings`, blocks of pings (the client's pongs pile
 * up on its side). After the last block it sends one small event, then
 * reads the client's frames, counting pongs, until the client's close,
 * which it answers.
 */
export function floodingDaemon(flood: Flood | Uint8Array, blocks = Infinity): FloodingDaemon {
  let written = 0;
  let pongs = 0;
  const ended = Promise.withResolvers<void>();
  const server = misbehaving(async (conn) => {
    try {
      if (!await acceptUpgrade(conn)) return;
      const block = flood instanceof Uint8Array
        ? flood
        : flood === "big-events"
        ? eventFrame(1024 * 1024)
        : flood === "pings"
        ? repeated(serverFrame(9, new Uint8Array(125)), 512)
        : repeated(serverFrame(0, new Uint8Array(0), true), 32768);
      if (flood === "empty-continuations") {
        await write(conn, serverFrame(1, encoder.encode("{"), true));
      }
      for (; written < blocks; written++) await write(conn, block);
      await write(conn, eventFrame(10));
      // The client's frames (masked control frames: 6 bytes of head) until its close.
      let pending = new Uint8Array(0);
      const buffer = new Uint8Array(65536);
      for (let n; (n = await conn.read(buffer)) !== null;) {
        const joined = new Uint8Array(pending.length + n);
        joined.set(pending);
        joined.set(buffer.subarray(0, n), pending.length);
        pending = joined;
        while (pending.length >= 2 && pending.length >= 6 + (pending[1] & 0x7f)) {
          const opcode = pending[0] & 0x0f;
          if (opcode === 8) return await write(conn, serverFrame(8, new Uint8Array([3, 0xe8])));
          if (opcode === 10) pongs++;
          pending = pending.subarray(6 + (pending[1] & 0x7f));
        }
      }
    } finally {
      ended.resolve();
    }
  });
  return Object.defineProperties(server, {
    written: { get: () => written },
    pongs: { get: () => pongs },
    ended: { value: ended.promise },
  }) as FloodingDaemon;
}
