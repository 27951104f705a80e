/**
 * Running commands in instances: `client.exec()` streams stdin, stdout and
 * stderr over the operation's websockets; `client.execRecorded()` lets the
 * server record the output and reads it back.
 *
 * @module
 */

import type { Clock } from "../core/deadlines.ts";
import { anySignal } from "../core/signals.ts";
import { OperationTimeoutError, ProtocolError } from "../core/errors.ts";
import type { Operation } from "./operation.ts";
import { concatBytes } from "../core/body.ts";
import { operationId } from "./operation_id.ts";
import { openPacedWebSocket } from "./transport/paced_handshake.ts";
import type { PacedWebSocket } from "./transport/paced_websocket.ts";
import { DRAIN_MS, emptyStream, inputStream, outputPump } from "./exec_streams.ts";

import type { Transport } from "./transport/transport.ts";

import {
  type ExecOutput,
  execOutput,
  type ExecStatus,
  execStatus,
  type ExecStreamOptions,
  signalNumber,
} from "./exec_options.ts";
export type { ExecOutput };

/** Everything a stream yields, joined; more than `max` bytes is refused with `tooLarge()`. */
export async function collect(
  stream: ReadableStream<Uint8Array>,
  max = Infinity,
  tooLarge: () => Error = () => new RangeError(`over ${max} bytes`),
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > max) throw tooLarge(); // leaving the loop cancels the stream
    chunks.push(chunk);
  }
  return concatBytes(chunks);
}

/** What {@linkcode attachExec} needs besides the started operation. */
export interface ExecAttachOptions {
  /** The exec's `stdin` option. */
  stdin?: ExecStreamOptions["stdin"];
  /** The exec's `signal`. */
  signal?: AbortSignal;
  /** Waits for the operation to end (called once its websockets are open), until `signal` aborts. */
  wait: (signal: AbortSignal) => Promise<Operation>;
}

/** The limits of one process. */
interface ExecLimits {
  endpoint: string;
  maxOutputBytes: number;
  /** Stops waiting for the operation. */
  stopWaiting: AbortController;
  /** The client's clock (the drain and dispose limits). */
  clock: Clock;
}

let createProcess: (
  id: string,
  sockets: Record<string, PacedWebSocket>,
  finished: Promise<Operation>,
  limits: ExecLimits,
) => ExecProcess;

/**
 * A command running in an instance, like `Deno.ChildProcess`: `stdin` to
 * write to, `stdout`/`stderr` to read, `status` for the exit code, and
 * `output()` to collect everything. Made by `client.exec()`.
 *
 * Output is read from the daemon as it is consumed: up to 4 MiB per stream
 * ({@linkcode EXEC_BUFFER_BYTES}) is read ahead, then the client stops
 * reading and the command blocks on its full pipe until the stream is
 * read, as a `Deno.Command` child does. `status` resolves when the command
 * ended, whether or not its output was read; `close()` or `await using`
 * drops what was not read.
 *
 * @example
 * ```ts
 * import { connect } from "@incusops/operations";
 * import { FakeDaemon } from "@incusops/operations/testing";
 * import { assertEquals } from "@std/assert";
 *
 * await using daemon = await FakeDaemon.start(); // runs a few commands (echo, cat, sh -c, sleep)
 * await using client = connect({ socket: daemon.path }); // a real daemon: connect()
 * await using process = await client.exec("c1", ["cat"], { stdin: "piped" });
 * const writer = process.stdin.getWriter();
 * await writer.write(new TextEncoder().encode("hello\n"));
 * await writer.close(); // end of input
 * const { exitCode, stdoutText } = await process.output();
 * assertEquals([exitCode, stdoutText], [0, "hello\n"]);
 * ```
 */
export class ExecProcess implements AsyncDisposable {
  /** The exec operation's id. */
  readonly id: string;
  /** Writes to the command's standard input; closing it sends end-of-file. */
  readonly stdin: WritableStream<Uint8Array>;
  /** The command's standard output (the terminal, in interactive mode). */
  readonly stdout: ReadableStream<Uint8Array>;
  /** The command's standard error (empty in interactive mode). */
  readonly stderr: ReadableStream<Uint8Array>;
  /** Resolves when the command ended, with its exit code. */
  readonly status: Promise<ExecStatus>;
  readonly #sockets: PacedWebSocket[];
  readonly #control: PacedWebSocket;
  readonly #limits: ExecLimits;

  static {
    createProcess = (id, sockets, finished, limits) =>
      new ExecProcess(id, sockets, finished, limits);
  }

  private constructor(
    id: string,
    sockets: Record<string, PacedWebSocket>,
    finished: Promise<Operation>,
    limits: ExecLimits,
  ) {
    this.id = id;
    this.#limits = limits;
    this.#sockets = Object.values(sockets);
    this.#control = sockets.control;
    // Interactive: fd 0 is the terminal, both ways. Otherwise 0 in, 1 and 2 out.
    const interactive = sockets["1"] === undefined;
    const pumps = (interactive ? [sockets["0"]] : [sockets["1"], sockets["2"]])
      .map((socket) => outputPump(socket, limits.clock));
    this.stdin = inputStream(sockets["0"]);
    this.stdout = pumps[0].stream;
    this.stderr = interactive ? emptyStream() : pumps[1].stream;
    this.status = finished.then(
      async (operation) => {
        const inputs = interactive ? [this.#control] : [this.#control, sockets["0"]];
        await Promise.all(inputs.map((socket) => socket.close()));
        // Output still arriving is read (up to the buffer), then the streams are left to the reader.
        await Promise.all(pumps.map((pump) => pump.settled()));
        return execStatus(operation);
      },
      async (error) => {
        // Given up (signal) or failed: what was sent is flushed, no reply awaited.
        await Promise.all(this.#sockets.map((socket) => socket.end()));
        throw error;
      },
    );
    this.status.catch(() => {});
  }

  /**
   * Sends a signal to the command over the control socket (default SIGTERM).
   *
   * @param signal The signal: a number (`9`) or a name (`"SIGKILL"`, as `Deno.Signal`).
   * @throws {InvalidArgumentError} Not a signal.
   *
   * @example
   * ```ts
   * import { connect } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   * import { assertEquals } from "@std/assert";
   *
   * await using daemon = await FakeDaemon.start(); // runs a few commands (echo, cat, sh -c, sleep)
   * await using client = connect({ socket: daemon.path }); // a real daemon: connect()
   * await using process = await client.exec("c1", ["sleep", "60"]);
   * process.kill(9);
   * assertEquals((await process.status).exitCode, 137); // 128 + SIGKILL
   * ```
   */
  kill(signal: number | Deno.Signal = "SIGTERM"): void {
    this.#sendControl({ command: "signal", signal: signalNumber(signal) });
  }

  /**
   * Resizes the terminal (interactive mode).
   *
   * @param width Columns.
   * @param height Rows.
   *
   * @example
   * ```ts
   * import { connect } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   * import { assertEquals } from "@std/assert";
   *
   * await using daemon = await FakeDaemon.start(); // runs a few commands (echo, cat, sh -c, sleep)
   * await using client = connect({ socket: daemon.path }); // a real daemon: connect()
   * await using shell = await client.exec("c1", ["stty", "size"], {
   *   interactive: true,
   *   width: 80,
   *   height: 24,
   * });
   * shell.resize(120, 40); // the terminal's new size, sent over the control socket
   * const { exitCode } = await shell.output();
   * assertEquals(exitCode, 0);
   * ```
   */
  resize(width: number, height: number): void {
    this.#sendControl({
      command: "window-resize",
      args: { width: String(width), height: String(height) },
    });
  }

  /**
   * Collects stdout and stderr and waits for the exit code. Each stream is
   * capped at the client's `maxResponseBytes` (64 MiB by default): past it
   * the command is killed and the call rejects with a `ProtocolError` (read
   * `stdout` as a stream for more).
   *
   * @returns The exit code and the output, as bytes and as text.
   *
   * @example
   * ```ts
   * import { connect } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   * import { assertEquals } from "@std/assert";
   *
   * await using daemon = await FakeDaemon.start(); // runs a few commands (echo, cat, sh -c, sleep)
   * await using client = connect({ socket: daemon.path }); // a real daemon: connect()
   * const run = await client.exec("c1", ["sh", "-c", "echo hello; echo oops >&2; exit 3"]);
   * const { exitCode, stdoutText, stderrText } = await run.output();
   * assertEquals([exitCode, stdoutText, stderrText], [3, "hello\n", "oops\n"]);
   * ```
   */
  async output(): Promise<ExecOutput> {
    const { maxOutputBytes: max, endpoint } = this.#limits;
    const tooLarge = (name: string) => () => {
      this.kill(9);
      this.close();
      return new ProtocolError(
        `exec operation ${this.id}: ${name} is over output()'s ${max}-byte limit; the command ` +
          `was killed (read process.${name} as a stream, or raise maxResponseBytes)`,
        { status: 101, method: "GET", path: `/1.0/operations/${this.id}/websocket`, endpoint },
      );
    };
    const [stdout, stderr, status] = await Promise.all([
      collect(this.stdout, max, tooLarge("stdout")),
      collect(this.stderr, max, tooLarge("stderr")),
      this.status,
    ]);
    return execOutput(status, stdout, stderr);
  }

  /**
   * Closes every socket (the command may keep running on the server).
   *
   * @example
   * ```ts
   * import { connect } from "@incusops/operations";
   * import { FakeDaemon } from "@incusops/operations/testing";
   *
   * await using daemon = await FakeDaemon.start();
   * await using client = connect({ socket: daemon.path });
   * const run = await client.exec("c1", ["sleep", "1"]);
   * run.close(); // closes its websockets (`await using` would kill it first)
   * await run.status.catch(() => {});
   * ```
   */
  close(): void {
    for (const socket of this.#sockets) socket.close();
  }

  /**
   * Kills the command if it still runs, then closes everything; waits for
   * the operation to end {@linkcode DRAIN_MS} at most (`status` then
   * rejects with an `OperationTimeoutError`).
   */
  async [Symbol.asyncDispose](): Promise<void> {
    this.kill(9);
    // Every socket waits for the daemon's reply a bounded time.
    await Promise.all(this.#sockets.map((socket) => socket.close()));
    const { stopWaiting, clock } = this.#limits;
    const stop = () => stopWaiting.abort(new OperationTimeoutError(this.id, DRAIN_MS));
    const silence = clock.alarm(DRAIN_MS, stop, true);
    await this.status.catch(() => {});
    silence();
  }

  #sendControl(message: Record<string, unknown>): void {
    if (this.#control.open) this.#control.send(JSON.stringify(message)).catch(() => {});
  }
}

/**
 * Opens the websockets of a started exec operation (`wait-for-websocket`
 * mode) and returns its process, feeding `stdin` and wiring `signal`.
 * Rejects with the opening's error (every socket opened is closed), or with
 * a {@linkcode ProtocolError} naming the operation when the daemon offered
 * no usable websockets.
 */
export async function attachExec(
  transport: Transport,
  started: Operation,
  options: ExecAttachOptions,
): Promise<ExecProcess> {
  const { signal } = options;
  const fds = started.metadata?.fds;
  const offered = fds !== null && typeof fds === "object" ? fds as Record<string, unknown> : {};
  const unusable = (why: string) =>
    new ProtocolError(
      `the exec operation ${started.id} from ${transport.endpoint} offered no usable websockets ` +
        `(${why}); it was started and may be waiting for them`,
      { status: 202, method: "POST", path: "/1.0/instances/exec", endpoint: transport.endpoint },
    );
  let uuid: string;
  try {
    uuid = operationId(started.id);
  } catch {
    throw unusable("its id is not a UUID");
  }
  const entries = Object.entries(offered);
  if (
    typeof offered.control !== "string" || typeof offered["0"] !== "string" ||
    entries.some(([fd, secret]) => !/^(?:[0-2]|control)$/.test(fd) || typeof secret !== "string")
  ) {
    throw unusable(`fds ${JSON.stringify(Object.keys(offered))}`);
  }
  const opened = await Promise.allSettled(
    entries.map(async ([fd, secret]) =>
      [
        fd,
        await openPacedWebSocket(
          transport,
          `/1.0/operations/${uuid}/websocket`,
          `secret=${encodeURIComponent(secret as string)}`,
          "wrong or used secret, or the operation ended",
          signal,
        ),
      ] as const
    ),
  );
  const sockets = Object.fromEntries(
    opened.flatMap((result) => result.status === "fulfilled" ? [result.value] : []),
  );
  const failed = opened.find((result) => result.status === "rejected");
  if (failed !== undefined) {
    await Promise.all(Object.values(sockets).map((socket) => socket.close()));
    throw failed.reason;
  }
  const stopWaiting = new AbortController();
  const waiting = anySignal(signal, stopWaiting.signal)!;
  const process = createProcess(started.id, sockets, options.wait(waiting), {
    endpoint: transport.endpoint,
    maxOutputBytes: transport.maxResponseBytes,
    stopWaiting,
    clock: transport.clock,
  });
  if (signal !== undefined) {
    const kill = () => process.kill(9); // then the wait rejects, which ends every socket
    signal.addEventListener("abort", kill, { once: true });
    process.status.finally(() => signal.removeEventListener("abort", kill)).catch(() => {});
  }
  const input = options.stdin ?? "null";
  if (input === "null") process.stdin.close().catch(() => {});
  else if (input !== "piped") {
    const source = input instanceof ReadableStream ? input : ReadableStream.from([
      typeof input === "string" ? new TextEncoder().encode(input) : input,
    ]);
    source.pipeTo(process.stdin).catch(() => {});
  }
  return process;
}
