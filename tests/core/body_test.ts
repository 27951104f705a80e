import { assertEquals, assertRejects } from "@std/assert";
import { readBytesLimited, readTextLimited } from "../../src/core/body.ts";

class TooLarge extends Error {}
const tooLarge = (size: string) => new TooLarge(size);

/** Bytes 0..n-1 (mod 251), so misplaced chunks show. */
function pattern(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => i % 251);
}

/** A chunked body (no content-length) served as a byte stream, in `chunk`-byte pieces. */
function byteStreamResponse(bytes: Uint8Array, chunk: number): Response {
  let offset = 0;
  const stream = new ReadableStream({
    type: "bytes",
    pull(controller) {
      if (offset >= bytes.length) {
        // As Deno's fetch bodies do: a read waiting on a closed stream is answered.
        controller.close();
        return controller.byobRequest?.respond(0);
      }
      controller.enqueue(bytes.slice(offset, offset + chunk));
      offset += chunk;
    },
  });
  return new Response(stream);
}

/** The same, as a default (not byte) stream: read without a BYOB reader. */
function defaultStreamResponse(bytes: Uint8Array, chunk: number): Response {
  let offset = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + chunk));
      offset += chunk;
    },
  });
  return new Response(stream);
}

for (
  const [kind, make] of [["byte", byteStreamResponse], ["default", defaultStreamResponse]] as const
) {
  Deno.test(`readBytesLimited: a chunked ${kind} stream is read whole, across buffer growth`, async () => {
    for (
      const [size, chunk] of [[0, 1], [1, 1], [5_000, 1_000], [16_384, 4_096], [100_000, 7_000]]
    ) {
      const bytes = pattern(size);
      assertEquals(await readBytesLimited(make(bytes, chunk), 1_000_000, tooLarge), bytes);
    }
  });

  Deno.test(`readBytesLimited: a chunked ${kind} stream of exactly max bytes passes, max + 1 is refused`, async () => {
    const max = 40_000;
    assertEquals((await readBytesLimited(make(pattern(max), 3_000), max, tooLarge)).length, max);
    const error = await assertRejects(
      () => readBytesLimited(make(pattern(max + 1), 3_000), max, tooLarge),
      TooLarge,
    );
    assertEquals(error.message, `more than ${max} bytes`);
  });
}

Deno.test("readBytesLimited: a small max holds at most max + 1 bytes of a huge chunked body", async () => {
  // An endless byte stream: only the cap ends the read.
  let pulls = 0;
  const endless = new Response(
    new ReadableStream({
      type: "bytes",
      pull(controller) {
        pulls++;
        controller.enqueue(new Uint8Array(64 * 1024));
      },
    }),
  );
  await assertRejects(() => readBytesLimited(endless, 100, tooLarge), TooLarge, "more than 100");
  assertEquals(pulls < 3, true, `pulled ${pulls} chunks for a 100-byte cap`);
});

Deno.test("readTextLimited: UTF-8 split across chunks decodes whole", async () => {
  const text = "é".repeat(20_000) + " fin";
  const bytes = new TextEncoder().encode(text);
  assertEquals(await readTextLimited(byteStreamResponse(bytes, 3_333), 1_000_000, tooLarge), text);
});

Deno.test("readTextLimited: a declared length over max is refused before reading", async () => {
  const response = new Response("x".repeat(1_000), { headers: { "content-length": "1000" } });
  await assertRejects(() => readTextLimited(response, 999, tooLarge), TooLarge, "1000 bytes");
});
