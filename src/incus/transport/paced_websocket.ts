/**
 * A websocket client read only on demand, for exec's streams. Deno's
 * `WebSocket` reads every message as it arrives and has no way to pause
 * (`WebSocketStream` needs `--unstable-net` in Deno 2.9): a command
 * writing faster than its output is read would grow the client's memory
 * without bound. Here a message is read from the connection only when
 * {@linkcode PacedWebSocket.read} is called, so an unread stream stops
 * the daemon (and the command) as a full pipe does.
 *
 * Just what the daemons' exec websockets use (RFC 6455 client side):
 * binary and text messages, fragments, ping/pong and the closing handshake,
 * bounded in time.
 *
 * @module
 */

import { concatBytes } from "../../core/body.ts";
import { ConnectionError, ProtocolError } from "../../core/errors.ts";
import { CLOSE_REPLY_MS } from "../../core/websocket.ts";
import type { Transport } from "./transport.ts";

/** One message: bytes, or text (the daemons' end-of-output barrier is an empty text). */
export type PacedMessage = { type: "binary"; data: Uint8Array } | { type: "text"; text: string };

/**
 * What each frame of a message counts at least against the message limit
 * (the client's `maxResponseBytes`): 65,536 fragments by default, where the
 * daemons send 4 KiB ones. Endless empty fragments end the stream.
 */
const FRAGMENT_BYTES = 1024;
/** Bytes read from the connection at a time. */
const BLOCK_BYTES = 64 * 1024;
/**
 * The most bytes of frames kept queued behind the one being written: a
 * daemon that stops reading (exec's control socket under `kill()` and
 * `resize()` calls, your sends on an operation websocket) ends the socket.
 */
const QUEUED_WRITE_BYTES = 4 * 1024 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The end of the connection, met inside a read. */
export class Ended extends Error {}

/**
 * An open websocket whose messages are read on demand. Made by
 * `openPacedWebSocket()` (paced_handshake.ts).
 */
export class PacedWebSocket {
  readonly #conn: Deno.Conn;
  readonly #path: string;
  readonly #endpoint: string;
  readonly #maxMessageBytes: number;
  #pending: Uint8Array;
  /** The payload of the pong not yet written: one at most (RFC 6455 §5.5.3). */
  #pong: Uint8Array | undefined;
  /** Reads and writes are each chained: one frame at a time. */
  #reads: Promise<unknown> = Promise.resolve();
  #writes: Promise<void> = Promise.resolve();
  #closeSent = false;
  #closeReceived = false;
  #ended = false;
  /** The payload of the daemon's close frame (its code and reason), once received. */
  closeFrame: Uint8Array | undefined;
  /** Bytes of frames sent and not yet written (as `WebSocket`'s). */
  bufferedAmount = 0;
  /** Why the socket was ended, when the daemon stopped reading it. */
  error: ConnectionError | undefined;
  readonly #done = Promise.withResolvers<void>();
  readonly #onTransportClosed = () => this.abort();
  readonly #transportClosed: AbortSignal;

  constructor(conn: Deno.Conn, rest: Uint8Array, path: string, transport: Transport) {
    this.#conn = conn;
    this.#pending = rest;
    this.#path = path;
    this.#endpoint = transport.endpoint;
    this.#maxMessageBytes = transport.maxResponseBytes;
    this.#transportClosed = transport.closedSignal;
    this.#transportClosed.addEventListener("abort", this.#onTransportClosed, { once: true });
  }

  /** Whether the connection is still open and no close was sent. */
  get open(): boolean {
    return !this.#ended && !this.#closeSent;
  }

  /** Lets a pending read keep the process alive (the default). */
  ref(): void {
    if (!this.#ended) this.#conn.ref();
  }

  /** Lets the process end while a read is pending (an idle connection). */
  unref(): void {
    if (!this.#ended) this.#conn.unref();
  }

  /** Resolves once the connection is closed. */
  readonly closed: Promise<void> = this.#done.promise;

  /**
   * The next message, or `null` once the socket is closed (by either side,
   * or broken). Only one frame is read at a time.
   */
  read(): Promise<PacedMessage | null> {
    const next = this.#reads.then(() => this.#readMessage());
    this.#reads = next.catch(() => {});
    return next;
  }

  /** Sends bytes (binary) or text; rejects once the socket is closing. */
  send(data: Uint8Array | string): Promise<void> {
    if (!this.open) {
      const init = { status: 0, method: "GET", path: this.#path, endpoint: this.#endpoint };
      return Promise.reject(new ConnectionError(`websocket ${this.#path}: closed`, init));
    }
    const text = typeof data === "string";
    return this.#write(text ? 1 : 2, text ? encoder.encode(data) : data);
  }

  /**
   * Starts the closing handshake and resolves once the connection is closed:
   * when the daemon replied, or after `limitMs` at most.
   */
  close(limitMs: number = CLOSE_REPLY_MS): Promise<void> {
    if (this.#sendClose()) {
      // Read (and drop) what is left until the reply comes.
      (async () => {
        while (!this.#closeReceived && (await this.read()) !== null);
      })().catch(() => {}).finally(() => this.abort());
    }
    return this.#endWithin(limitMs);
  }

  /**
   * Closes the connection as soon as what was sent is written (a close
   * frame included), without waiting for the daemon's reply; within
   * {@linkcode CLOSE_REPLY_MS} at most. For when the caller gave up.
   */
  end(): Promise<void> {
    this.#sendClose();
    this.#writes.finally(() => this.abort());
    return this.#endWithin(CLOSE_REPLY_MS);
  }

  /** Sends the close frame unless sent (or ended); whether it did. */
  #sendClose(): boolean {
    if (this.#ended || this.#closeSent) return false;
    this.#closeSent = true;
    this.#write(8, new Uint8Array([0x03, 0xe8])).catch(() => this.abort());
    return true;
  }

  /** Ends the connection after `ms` at most; resolves once it ended. */
  #endWithin(ms: number): Promise<void> {
    if (!this.#ended) {
      const timer = setTimeout(() => this.abort(), ms);
      this.#done.promise.then(() => clearTimeout(timer));
    }
    return this.#done.promise;
  }

  /** Closes the connection at once, without the handshake. */
  abort(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#transportClosed.removeEventListener("abort", this.#onTransportClosed);
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
    this.#done.resolve();
  }

  async #readMessage(): Promise<PacedMessage | null> {
    if (this.#ended || this.#closeReceived) return null;
    const parts: Uint8Array[] = [];
    let size = 0;
    let counted = 0;
    let type: 1 | 2 | undefined;
    try {
      for (;;) {
        const [first, second] = await this.#take(2);
        const fin = (first & 0x80) !== 0;
        const opcode = first & 0x0f;
        let length = second & 0x7f;
        if (length === 126) {
          const bytes = await this.#take(2);
          length = (bytes[0] << 8) | bytes[1];
        } else if (length === 127) {
          const bytes = await this.#take(8);
          length = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0));
        }
        if (opcode >= 8 && length > 125) {
          throw this.#protocolError("a control frame over 125 bytes");
        }
        if (opcode < 8) counted += Math.max(length, FRAGMENT_BYTES);
        if (counted > this.#maxMessageBytes) {
          throw this.#protocolError(
            `a message over the ${this.#maxMessageBytes}-byte limit (each fragment counts ` +
              `${FRAGMENT_BYTES} bytes at least; raise maxResponseBytes to accept it)`,
          );
        }
        const mask = (second & 0x80) !== 0 ? await this.#take(4) : undefined;
        const payload = length === 0 ? new Uint8Array(0) : await this.#take(length);
        if (mask !== undefined) {
          for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
        }
        if (opcode === 8) { // close
          this.#closeReceived = true;
          this.closeFrame = payload.slice();
          if (!this.#closeSent) {
            this.#closeSent = true;
            await this.#write(8, payload.subarray(0, 2)).catch(() => {});
          }
          this.abort();
          return null;
        }
        if (opcode === 9) { // ping: answered once the pong before is written
          if (this.#pong === undefined && !this.#closeSent) {
            this.#writes.then(() => {
              const pong = this.#pong!;
              this.#pong = undefined;
              if (!this.#closeSent) return this.#write(10, pong);
            }).catch(() => {});
          }
          this.#pong = payload.slice();
          continue;
        }
        if (opcode === 10) continue; // pong
        if (opcode === 1 || opcode === 2) {
          if (type !== undefined) {
            throw this.#protocolError("a new message inside a fragmented one");
          }
          type = opcode;
        } else if (opcode !== 0 || type === undefined) {
          throw this.#protocolError(`an unexpected frame (opcode ${opcode})`);
        }
        if (payload.length > 0) parts.push(payload);
        size += payload.length;
        if (!fin) continue;
        const data = concatBytes(parts, size);
        return type === 1 ? { type: "text", text: decoder.decode(data) } : { type: "binary", data };
      }
    } catch (error) {
      this.abort();
      if (error instanceof Ended || error instanceof Deno.errors.BadResource) return null;
      if (error instanceof ProtocolError) throw error;
      return null; // a broken connection ends the stream, as Deno's WebSocket does
    }
  }

  /** The next `n` bytes of the connection. */
  async #take(n: number): Promise<Uint8Array> {
    if (this.#ended) throw new Ended();
    if (this.#pending.length >= n) {
      const out = this.#pending.subarray(0, n);
      this.#pending = this.#pending.subarray(n);
      return out;
    }
    const out = new Uint8Array(n);
    let filled = this.#pending.length;
    out.set(this.#pending);
    this.#pending = new Uint8Array(0);
    while (filled < n) {
      if (n - filled < BLOCK_BYTES) {
        // A small rest: read a block and keep what follows for the next frames.
        const block = new Uint8Array(BLOCK_BYTES);
        const got = await this.#conn.read(block);
        if (got === null) throw new Ended();
        const used = Math.min(got, n - filled);
        out.set(block.subarray(0, used), filled);
        filled += used;
        this.#pending = block.subarray(used, got);
      } else {
        const got = await this.#conn.read(out.subarray(filled));
        if (got === null) throw new Ended();
        filled += got;
      }
    }
    return out;
  }

  /** Writes one masked frame (clients always mask), after the writes before it. */
  #write(opcode: number, payload: Uint8Array): Promise<void> {
    const frame = maskedFrame(opcode, payload);
    if (this.bufferedAmount > 0 && this.bufferedAmount + frame.length > QUEUED_WRITE_BYTES) {
      this.error ??= new ConnectionError(
        `websocket ${this.#path}: ${this.#endpoint} stopped reading it (over ` +
          `${QUEUED_WRITE_BYTES} bytes of writes queued); the socket was closed`,
        { status: 0, method: "GET", path: this.#path, endpoint: this.#endpoint },
      );
      this.abort();
      return Promise.reject(this.error);
    }
    this.bufferedAmount += frame.length;
    const next = this.#writes.then(() => writeAll(this.#conn, frame))
      .finally(() => this.bufferedAmount -= frame.length);
    this.#writes = next.catch(() => {});
    return next;
  }

  #protocolError(what: string): ProtocolError {
    const init = { status: 101, method: "GET", path: this.#path, endpoint: this.#endpoint };
    return new ProtocolError(`websocket ${this.#path}: ${this.#endpoint} sent ${what}`, init);
  }
}

/** One client frame: FIN set, masked with a random key. */
function maskedFrame(opcode: number, payload: Uint8Array): Uint8Array {
  const length = payload.length;
  const extra = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const frame = new Uint8Array(6 + extra + length);
  frame[0] = 0x80 | opcode;
  frame[1] = 0x80 | (extra === 0 ? length : extra === 2 ? 126 : 127);
  const view = new DataView(frame.buffer);
  if (extra === 2) view.setUint16(2, length);
  if (extra === 8) view.setBigUint64(2, BigInt(length));
  const mask = crypto.getRandomValues(frame.subarray(2 + extra, 6 + extra));
  for (let i = 0; i < length; i++) frame[6 + extra + i] = payload[i] ^ mask[i & 3];
  return frame;
}

/** Writes all of `bytes` to `conn`. */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}
