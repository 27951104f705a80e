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
  const length = response.headers.get("content-length");
  if (length !== null) {
    if (Number(length) > max) {
      await response.body?.cancel();
      throw tooLarge(`${length} bytes`);
    }
    return await response.text();
  }
  if (response.body === null) return "";
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
  if (chunks.length === 1) return decoder.decode(chunks[0]);
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return decoder.decode(all);
}
