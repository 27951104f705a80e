/**
 * The streams of an exec process over its paced websockets: output read
 * ahead up to a bound (then the command waits, as on a full pipe), input
 * written message by message.
 *
 * @module
 */

import type { Clock } from "../core/deadlines.ts";
import type { PacedWebSocket } from "./transport/paced_websocket.ts";

/**
 * Unread bytes kept per output stream before the client stops reading its
 * websocket (the command then blocks on a full pipe, as with
 * `Deno.Command`).
 */
export const EXEC_BUFFER_BYTES = 4 * 1024 * 1024;

/** How long a finished command's output may stay silent before its socket is closed, ms. */
export const DRAIN_MS = 5_000;

/** An always-empty stream. */
export function emptyStream(): ReadableStream<Uint8Array> {
  return new ReadableStream({ start: (controller) => controller.close() });
}

/** An output stream and how far its reading got. */
export interface OutputPump {
  /** The bytes the websocket carries. */
  stream: ReadableStream<Uint8Array>;
  /**
   * Resolves once the stream ended, or is waiting for its reader (its
   * buffer is full); a daemon silent for {@linkcode DRAIN_MS} meanwhile
   * has its socket closed.
   */
  settled(): Promise<void>;
}

/**
 * The bytes a websocket carries, as a stream read ahead up to
 * {@linkcode EXEC_BUFFER_BYTES}. An empty text message (the daemons'
 * end-of-output barrier, after which the socket is closed) or the socket's
 * end ends it.
 */
export function outputPump(socket: PacedWebSocket, clock: Clock): OutputPump {
  let ended = false;
  let paused = false;
  let waiters: (() => void)[] = [];
  let idleBound = false;
  let silence = () => {};
  const wake = () => {
    silence();
    const woken = waiters;
    waiters = [];
    for (const resolve of woken) resolve();
  };
  /** Once the command finished, a read (even one already waiting) gets DRAIN_MS of silence. */
  const listen = () => {
    silence();
    if (idleBound && !ended) silence = clock.alarm(DRAIN_MS, () => socket.abort(), true);
  };
  // The end of the output (or a cancel, with no controller): the socket is closed.
  const finish = (controller?: ReadableStreamDefaultController<Uint8Array>) => {
    if (!ended) controller?.close();
    ended = true;
    socket.close();
    wake();
  };
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      paused = false;
      try {
        for (;;) {
          listen();
          const message = await socket.read();
          if (ended) return;
          if (message === null || (message.type === "text" && message.text === "")) {
            return finish(controller);
          }
          if (message.type === "binary" && message.data.length > 0) {
            controller.enqueue(message.data);
            break;
          }
        }
      } catch (error) {
        ended = true;
        controller.error(error);
        socket.abort();
        wake();
        return;
      }
      silence();
      if ((controller.desiredSize ?? 1) <= 0) {
        paused = true; // the stream calls pull again once its reader makes room
        wake();
      }
    },
    cancel: () => finish(),
  }, new ByteLengthQueuingStrategy({ highWaterMark: EXEC_BUFFER_BYTES }));
  return {
    stream,
    settled() {
      idleBound = true;
      if (ended || paused) return Promise.resolve();
      listen();
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}

/**
 * The command's input as a writable stream: each chunk is a binary message,
 * written once the ones before it are sent; closing sends the end-of-file
 * barrier (an empty text message).
 */
export function inputStream(socket: PacedWebSocket): WritableStream<Uint8Array> {
  const end = async () => {
    if (socket.open) await socket.send("").catch(() => {});
  };
  return new WritableStream<Uint8Array>({
    async write(chunk) {
      if (!socket.open) throw new TypeError("the command's input is closed");
      if (chunk.byteLength > 0) await socket.send(chunk);
    },
    close: end,
    abort: end,
  });
}
