/**
 * Reading a response body with a size cap, shared by every client.
 *
 * @module
 */

const decoder = new TextDecoder();

/**
 * Reads `response`'s body as UTF-8 text, refusing more than `max` bytes:
 * then the body is cancelled and the error `tooLarge(size)` makes is thrown
 * (`size` says "N bytes" from `content-length`, or "more than N bytes").
 * `max` may be `Infinity`: no cap.
 */
export async function readTextLimited(
  response: Response,
  max: number,
  tooLarge: (size: string) => Error,
): Promise<string> {
  if (readsWhole(response, max)) return await response.text();
  return decoder.decode(await readChunks(response, max, tooLarge));
}

/** Reads `response`'s body as bytes, with the same cap as {@linkcode readTextLimited}. */
export async function readBytesLimited(
  response: Response,
  max: number,
  tooLarge: (size: string) => Error,
): Promise<Uint8Array> {
  if (readsWhole(response, max)) return await response.bytes();
  return await readChunks(response, max, tooLarge);
}

/**
 * Whether the body can be read in one go (Deno's fastest read): there is no
 * cap, or it declares a length within it.
 */
function readsWhole(response: Response, max: number): boolean {
  if (max === Infinity) return true;
  const length = response.headers.get("content-length");
  return length !== null && Number(length) <= max;
}

/** Size of the first read of an undeclared-length body: most answers fit. */
const FIRST_READ_BYTES = 16 * 1024;

/**
 * Reads a body that declares no (usable) length (chunked), counting bytes
 * against `max`; one that declares more than `max` is refused unread.
 *
 * Deno reads a whole body in one native call only through `text()`,
 * `json()` and the like, which take no limit; a chunked answer has to be
 * read piece by piece to be capped. A BYOB reader lets the pieces land in
 * one growing buffer (no 64 KiB buffer a read, no joining at the end), at
 * well under half the CPU cost of a default reader over the one-call read
 * (figures: docs/performance.md).
 */
async function readChunks(
  response: Response,
  max: number,
  tooLarge: (size: string) => Error,
): Promise<Uint8Array> {
  const length = response.headers.get("content-length");
  if (length !== null && Number(length) > max) {
    await response.body?.cancel();
    throw tooLarge(`${length} bytes`);
  }
  const body = response.body;
  if (body === null) return new Uint8Array();
  let reader: ReadableStreamBYOBReader;
  try {
    reader = body.getReader({ mode: "byob" });
  } catch {
    return await readDefaultChunks(body, max, tooLarge); // not a byte stream
  }
  // At most max + 1 bytes are ever held: one byte past the cap proves it is passed.
  const limit = max + 1;
  let buffer = new Uint8Array(Math.min(FIRST_READ_BYTES, limit));
  let size = 0;
  // The reader is never released: the body is read to its end or cancelled,
  // and releaseLock() builds a TypeError for nothing (it showed in a CPU profile of lists).
  for (;;) {
    if (size === buffer.byteLength) {
      const grown = new Uint8Array(Math.min(buffer.byteLength * 2, limit));
      grown.set(buffer);
      buffer = grown;
    }
    const { done, value } = await reader.read(buffer.subarray(size));
    // The read transfers the buffer: take it back from the view it returns.
    if (value !== undefined) buffer = new Uint8Array(value.buffer);
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw tooLarge(`more than ${max} bytes`);
    }
  }
  return buffer.subarray(0, size);
}

/** {@linkcode readChunks} for a body that is not a byte stream. */
async function readDefaultChunks(
  body: ReadableStream<Uint8Array>,
  max: number,
  tooLarge: (size: string) => Error,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw tooLarge(`more than ${max} bytes`);
    }
    chunks.push(value);
  }
  return concatBytes(chunks, size);
}

/**
 * `text` parsed as JSON, or `undefined` when it is not JSON (no JSON text
 * parses to `undefined`).
 */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Joins byte chunks into one array (`size`: their total, when known). */
export function concatBytes(
  chunks: Uint8Array[],
  size: number = chunks.reduce((total, chunk) => total + chunk.byteLength, 0),
): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return all;
}
