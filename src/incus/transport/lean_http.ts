/**
 * One HTTP/1.1 request on a Unix socket connection of its own, without
 * `fetch`: for short-lived processes (`connect({ shortLived: true })`, the
 * `incusops` CLI). A process's first `fetch` loads Deno's fetch, Request,
 * Response and streams code and sets up an HTTP client; a request written
 * and read here on a plain `Deno.connect` connection costs a fraction of
 * that. The answer's body is read whole (`Content-Length`, chunked, or up
 * to the end of the connection), never past `maxBytes`.
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CR = 13;
const LF = 10;

/** Size of the first read: most answers fit. */
const FIRST_READ_BYTES = 16 * 1024;

/** Longest status line plus headers accepted. */
const MAX_HEAD_BYTES = 64 * 1024;

/** An answer read by {@linkcode leanRequest}. */
export interface LeanAnswer {
  /** The HTTP status. */
  status: number;
  /** The headers, with lower-case names. */
  headers: { get(name: string): string | null };
  /** The whole body (chunked bodies decoded). */
  body: Uint8Array;
}

/** What {@linkcode leanRequest} sends and how it reads the answer. */
export interface LeanRequest {
  /** The socket path. */
  socket: string;
  /** The HTTP method. */
  method: string;
  /** The request target: path and query. */
  target: string;
  /** A JSON body, already serialised. */
  body?: string;
  /** Ends the request: the connection is closed, the call rejects. */
  signal: AbortSignal;
  /** Largest body accepted, bytes. */
  maxBytes: number;
  /**
   * The error for a body over `maxBytes` (`size`: "N bytes" or "more than
   * N bytes"; `status`: the answer's).
   */
  tooLarge: (size: string, status: number) => Error;
}

/** What is wrong with an answer that is not HTTP/1.x (mapped as a failed connection). */
export class MalformedAnswer extends Error {}

/**
 * Sends one request on a new connection to `socket` (`Connection: close`)
 * and reads the answer. Connection failures reject with Deno's own errors;
 * an abort closes the connection (the caller maps the rejection).
 */
export async function leanRequest(request: LeanRequest): Promise<LeanAnswer> {
  request.signal.throwIfAborted();
  const conn = await Deno.connect({ transport: "unix", path: request.socket });
  const close = () => {
    try {
      conn.close();
    } catch {
      // already closed
    }
  };
  request.signal.addEventListener("abort", close, { once: true });
  try {
    request.signal.throwIfAborted(); // aborted while connecting
    const body = request.body === undefined ? undefined : encoder.encode(request.body);
    const head = `${request.method} ${request.target} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
      `Connection: close\r\n` +
      (body === undefined
        ? request.method === "GET" ? "" : "Content-Length: 0\r\n"
        : `Content-Type: application/json\r\nContent-Length: ${body.byteLength}\r\n`) +
      "\r\n";
    await writeAll(conn, body === undefined ? encoder.encode(head) : joined(head, body));
    return await readAnswer(new Reader(conn), request);
  } finally {
    request.signal.removeEventListener("abort", close);
    close();
  }
}

function joined(head: string, body: Uint8Array): Uint8Array {
  const bytes = encoder.encode(head);
  const all = new Uint8Array(bytes.byteLength + body.byteLength);
  all.set(bytes);
  all.set(body, bytes.byteLength);
  return all;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.byteLength;) {
    offset += await conn.write(bytes.subarray(offset));
  }
}

/** Buffered reads of a connection: lines and byte counts. */
class Reader {
  #buffer = new Uint8Array(FIRST_READ_BYTES);
  #start = 0;
  #end = 0;
  /** Whether the peer closed its side. */
  ended = false;

  constructor(readonly conn: Deno.Conn) {}

  get buffered(): number {
    return this.#end - this.#start;
  }

  /** Reads more; false at the end of the connection. */
  async fill(): Promise<boolean> {
    if (this.ended) return false;
    if (this.#end === this.#buffer.byteLength) {
      const size = this.buffered;
      if (size * 2 > this.#buffer.byteLength) {
        const grown = new Uint8Array(this.#buffer.byteLength * 2);
        grown.set(this.#buffer.subarray(this.#start, this.#end));
        this.#buffer = grown;
      } else {
        this.#buffer.copyWithin(0, this.#start, this.#end);
      }
      this.#start = 0;
      this.#end = size;
    }
    const read = await this.conn.read(this.#buffer.subarray(this.#end));
    if (read === null) {
      this.ended = true;
      return false;
    }
    this.#end += read;
    return true;
  }

  /** The next line without its line end, or undefined if it is over `limit` or cut short. */
  async line(limit: number): Promise<string | undefined> {
    for (let searched = 0;;) {
      const at = this.#buffer.subarray(this.#start + searched, this.#end).indexOf(LF);
      if (at !== -1) {
        const end = this.#start + searched + at;
        const cut = end > this.#start && this.#buffer[end - 1] === CR ? end - 1 : end;
        const text = decoder.decode(this.#buffer.subarray(this.#start, cut));
        this.#start = end + 1;
        return text;
      }
      searched = this.buffered;
      if (searched > limit || !(await this.fill())) return undefined;
    }
  }

  /**
   * Fills `into` from `offset` with `count` bytes: the buffered ones
   * first, then straight from the connection. False if it ends first.
   */
  async readInto(into: Uint8Array, offset: number, count: number): Promise<boolean> {
    const buffered = Math.min(count, this.buffered);
    into.set(this.#buffer.subarray(this.#start, this.#start + buffered), offset);
    this.#start += buffered;
    for (let done = buffered; done < count;) {
      const read = await this.conn.read(into.subarray(offset + done, offset + count));
      if (read === null) {
        this.ended = true;
        return false;
      }
      done += read;
    }
    return true;
  }

  /** Moves up to `count` buffered bytes into `into` at `offset`; returns how many. */
  take(into: Uint8Array, offset: number, count: number): number {
    const n = Math.min(count, this.buffered);
    into.set(this.#buffer.subarray(this.#start, this.#start + n), offset);
    this.#start += n;
    return n;
  }
}

async function readAnswer(reader: Reader, request: LeanRequest): Promise<LeanAnswer> {
  const statusLine = await reader.line(MAX_HEAD_BYTES);
  const match = statusLine === undefined ? null : /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (match === null) {
    throw malformed(
      statusLine === undefined ? "the connection closed before an answer" : "a bad status line",
    );
  }
  const status = Number(match[1]);
  const fields = new Map<string, string>();
  for (let size = 0;;) {
    const line = await reader.line(MAX_HEAD_BYTES - size);
    if (line === undefined) throw malformed("the answer's headers are cut short");
    if (line === "") break;
    size += line.length + 2;
    const colon = line.indexOf(":");
    if (colon <= 0) throw malformed("a malformed header line");
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const previous = fields.get(name);
    fields.set(name, previous === undefined ? value : `${previous}, ${value}`);
  }
  const headers = { get: (name: string) => fields.get(name.toLowerCase()) ?? null };
  const noBody = request.method === "HEAD" || status === 204 || status === 304 ||
    (status >= 100 && status < 200);
  if (noBody) return { status, headers, body: new Uint8Array() };
  const encoding = fields.get("transfer-encoding")?.toLowerCase();
  if (encoding !== undefined && encoding.split(",").at(-1)!.trim() === "chunked") {
    return { status, headers, body: await readChunked(reader, request, status) };
  }
  const length = fields.get("content-length");
  if (length !== undefined) {
    if (!/^\d+$/.test(length)) throw malformed(`Content-Length ${length}`);
    const size = Number(length);
    if (size > request.maxBytes) throw request.tooLarge(`${length} bytes`, status);
    const body = new Uint8Array(size);
    await readExactly(reader, body, 0, size);
    return { status, headers, body };
  }
  return { status, headers, body: await readToEnd(reader, request, status) };
}

function malformed(why: string): MalformedAnswer {
  return new MalformedAnswer(`not an HTTP/1.1 answer: ${why}`);
}

async function readExactly(
  reader: Reader,
  into: Uint8Array,
  offset: number,
  count: number,
): Promise<void> {
  if (!(await reader.readInto(into, offset, count))) {
    throw malformed("the connection closed in the middle of the body");
  }
}

/** A body in chunks: each size checked against the cap before it is read. */
async function readChunked(
  reader: Reader,
  request: LeanRequest,
  status: number,
): Promise<Uint8Array> {
  let body = new Uint8Array(0);
  let size = 0;
  for (;;) {
    const line = await reader.line(1024);
    const match = line === undefined ? null : /^([0-9a-fA-F]+)\s*(;.*)?$/.exec(line);
    if (match === null) throw malformed("a malformed chunk");
    const chunk = parseInt(match[1], 16);
    if (chunk === 0) break;
    if (size + chunk > request.maxBytes) {
      throw request.tooLarge(`more than ${request.maxBytes} bytes`, status);
    }
    if (size + chunk > body.byteLength) {
      const grown = new Uint8Array(
        Math.min(Math.max(body.byteLength * 2, size + chunk), request.maxBytes),
      );
      grown.set(body.subarray(0, size));
      body = grown;
    }
    await readExactly(reader, body, size, chunk);
    size += chunk;
    if ((await reader.line(2)) !== "") throw malformed("a malformed chunk");
  }
  // Trailers, up to the empty line.
  for (;;) {
    const line = await reader.line(MAX_HEAD_BYTES);
    if (line === undefined || line === "") break;
  }
  return body.subarray(0, size);
}

/** A body that declares no length: up to the end of the connection. */
async function readToEnd(
  reader: Reader,
  request: LeanRequest,
  status: number,
): Promise<Uint8Array> {
  while (await reader.fill()) {
    if (reader.buffered > request.maxBytes) {
      throw request.tooLarge(`more than ${request.maxBytes} bytes`, status);
    }
  }
  const body = new Uint8Array(reader.buffered);
  reader.take(body, 0, body.byteLength);
  return body;
}
