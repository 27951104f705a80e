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
 */
export async function readTextLimited(
  response: Response,
  max: number,
  tooLarge: (size: string) => Error,
): Promise<string> {
  if (await declaredLengthFits(response, max, tooLarge)) return await response.text();
  return decoder.decode(await readChunks(response, max, tooLarge));
}

/** Reads `response`'s body as bytes, with the same cap as {@linkcode readTextLimited}. */
export async function readBytesLimited(
  response: Response,
  max: number,
  tooLarge: (size: string) => Error,
): Promise<Uint8Array> {
  if (await declaredLengthFits(response, max, tooLarge)) return await response.bytes();
  return await readChunks(response, max, tooLarge);
}

/**
 * Whether the body declares a length within `max` (read it in one go);
 * throws when it declares more, false when it declares none.
 */
async function declaredLengthFits(
  response: Response,
  max: number,
  tooLarge: (size: string) => Error,
): Promise<boolean> {
  const length = response.headers.get("content-length");
  if (length === null) return false;
  if (Number(length) > max) {
    await response.body?.cancel();
    throw tooLarge(`${length} bytes`);
  }
  return true;
}

/** Reads an undeclared-length body chunk by chunk, counting bytes against `max`. */
async function readChunks(
  response: Response,
  max: number,
  tooLarge: (size: string) => Error,
): Promise<Uint8Array> {
  if (response.body === null) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  try {
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
  } finally {
    reader.releaseLock();
  }
  return concatBytes(chunks, size);
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
