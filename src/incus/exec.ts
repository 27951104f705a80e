/**
 * Running commands in instances: `client.exec()` streams stdin, stdout and
 * stderr over the operation's websockets; `client.execRecorded()` lets the
 * server record the output and reads it back.
 *
 * @module
 */

import { InvalidArgumentError } from "../core/errors.ts";
import { describeValue } from "../core/validate.ts";
import type { ExecOperation, Operation } from "./operation.ts";
import { concatBytes } from "../core/body.ts";
import { closeIfOpen, whenClosed } from "./transport/websocket.ts";

/** Options of `client.exec()` and `client.execRecorded()`. */
export interface ExecOptions {
  /** Environment variables of the command. */
  env?: Record<string, string>;
  /** Working directory. */
  cwd?: string;
  /** User id to run as. */
  user?: number;
  /** Group id to run as. */
  group?: number;
  /** The project of the instance. */
  project?: string;
  /**
   * Aborts the command: it is killed (SIGKILL over the control socket),
   * every socket is closed, and the call (or `status`) rejects with the
   * signal's reason.
   */
  signal?: AbortSignal;
}

/** Options of `client.exec()`. */
export interface ExecStreamOptions extends ExecOptions {
  /**
   * What the command reads: `"null"` (default: end of input at once),
   * `"piped"` (write to `process.stdin`), or the bytes/text/stream to send.
   */
  stdin?: "null" | "piped" | string | Uint8Array | ReadableStream<Uint8Array>;
  /** Run under a terminal (stdout and stderr merged on `stdout`). */
  interactive?: boolean;
  /** Terminal width, interactive mode. */
  width?: number;
  /** Terminal height, interactive mode. */
  height?: number;
}

/** How a command ended. */
export interface ExecStatus {
  /** The exit code (`metadata.return` of the finished operation). */
  exitCode: number;
  /** Whether the exit code is 0. */
  success: boolean;
  /** The finished operation (its websocket secrets are removed). */
  operation: ExecOperation;
}

/** A finished command with its collected output. */
export interface ExecOutput extends ExecStatus {
  /** Everything written to stdout. */
  stdout: Uint8Array;
  /** Everything written to stderr (empty in interactive mode). */
  stderr: Uint8Array;
  /** `stdout` decoded as UTF-8. */
  readonly stdoutText: string;
  /** `stderr` decoded as UTF-8. */
  readonly stderrText: string;
}

const INSTANCE_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/;

/** Checks an instance name before it goes into a URL. */
export function instanceName(value: unknown): string {
  if (typeof value !== "string" || !INSTANCE_NAME.test(value)) {
    throw new InvalidArgumentError(
      `invalid instance name ${describeValue(value)}: expected letters, digits and dashes`,
    );
  }
  return value;
}

/** Checks the command and builds the `POST .../exec` body. */
export function execBody(
  command: readonly string[],
  options: ExecOptions & { interactive?: boolean; width?: number; height?: number },
  mode: { waitForWebsocket: boolean; recordOutput: boolean },
): Record<string, unknown> {
  if (
    !Array.isArray(command) || command.length === 0 || command.some((a) => typeof a !== "string")
  ) {
    throw new InvalidArgumentError("invalid command: expected a non-empty array of strings");
  }
  const body: Record<string, unknown> = {
    command,
    environment: options.env ?? {},
    "wait-for-websocket": mode.waitForWebsocket,
    "record-output": mode.recordOutput,
    interactive: options.interactive ?? false,
  };
  if (options.cwd !== undefined) body.cwd = options.cwd;
  if (options.user !== undefined) body.user = options.user;
  if (options.group !== undefined) body.group = options.group;
  if (options.width !== undefined) body.width = options.width;
  if (options.height !== undefined) body.height = options.height;
  return body;
}

/** A copy of an exec operation without its websocket secrets. */
export function withoutSecrets(operation: Operation): Operation {
  const metadata = operation.metadata;
  if (metadata === null || typeof metadata !== "object" || !("fds" in metadata)) return operation;
  const fds = metadata.fds as Record<string, unknown> | null;
  const masked = fds === null ? null : Object.fromEntries(Object.keys(fds).map((k) => [k, "***"]));
  return { ...operation, metadata: { ...metadata, fds: masked } };
}

/** The exit status of a finished exec operation. */
export function execStatus(operation: Operation): ExecStatus {
  const exitCode = Number(operation.metadata?.return ?? -1);
  return {
    exitCode,
    success: exitCode === 0,
    operation: withoutSecrets(operation) as ExecOperation,
  };
}

const decoder = new TextDecoder();

/** Builds an {@linkcode ExecOutput}. */
export function execOutput(status: ExecStatus, stdout: Uint8Array, stderr: Uint8Array): ExecOutput {
  return {
    ...status,
    stdout,
    stderr,
    get stdoutText() {
      return decoder.decode(stdout);
    },
    get stderrText() {
      return decoder.decode(stderr);
    },
  };
}

/** Everything a stream yields, joined. */
export async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return concatBytes(chunks);
}

/**
 * A command running in an instance, like `Deno.ChildProcess`: `stdin` to
 * write to, `stdout`/`stderr` to read, `status` for the exit code, and
 * `output()` to collect everything. Made by `client.exec()`.
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
  readonly #sockets: WebSocket[];
  readonly #control: WebSocket;

  /**
   * Made by `client.exec()`; not meant to be constructed directly.
   *
   * @param id The operation id.
   * @param sockets The open websockets by fd name (`0`, `1`, `2`, `control`).
   * @param finished Resolves with the finished operation.
   */
  constructor(id: string, sockets: Record<string, WebSocket>, finished: Promise<Operation>) {
    this.id = id;
    this.#sockets = Object.values(sockets);
    this.#control = sockets.control;
    // Interactive: fd 0 is the terminal, both ways. Otherwise 0 in, 1 and 2 out.
    const interactive = sockets["1"] === undefined;
    const outputs = interactive ? [sockets["0"]] : [sockets["1"], sockets["2"]];
    this.stdin = inputStream(sockets["0"]);
    // After its end-of-output barrier the daemon waits for us to close the
    // socket (in interactive mode the operation only ends then).
    this.stdout = outputStream(outputs[0]);
    this.stderr = interactive ? emptyStream() : outputStream(outputs[1]);
    const all = () => Promise.all(this.#sockets.map(whenClosed));
    this.status = finished.then(
      async (operation) => {
        closeIfOpen(this.#control);
        if (!interactive) closeIfOpen(sockets["0"]);
        // The daemon ends each output with a barrier; don't wait forever.
        const drained = Promise.all(outputs.map(whenClosed));
        let timer: ReturnType<typeof setTimeout> | undefined;
        const late = new Promise<void>((resolve) => timer = setTimeout(resolve, DRAIN_MS));
        await Promise.race([drained, late]);
        clearTimeout(timer);
        this.close();
        await all();
        return execStatus(operation);
      },
      async (error) => {
        this.close();
        await all();
        throw error;
      },
    );
    this.status.catch(() => {});
  }

  /**
   * Sends a signal to the command over the control socket (default SIGTERM).
   *
   * @param signal The signal number.
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
  kill(signal = 15): void {
    this.#sendControl({ command: "signal", signal });
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
   * Collects stdout and stderr and waits for the exit code.
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
    const [stdout, stderr, status] = await Promise.all([
      collect(this.stdout),
      collect(this.stderr),
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
    for (const socket of this.#sockets) closeIfOpen(socket);
  }

  /** Kills the command if it still runs, then closes everything. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#control.readyState === WebSocket.OPEN) this.kill(9);
    this.close();
    await this.status.catch(() => {});
  }

  #sendControl(message: Record<string, unknown>): void {
    if (this.#control.readyState === WebSocket.OPEN) this.#control.send(JSON.stringify(message));
  }
}

/** How long output may still arrive after the command ended, ms. */
const DRAIN_MS = 5_000;

/** An always-empty stream. */
function emptyStream(): ReadableStream<Uint8Array> {
  return new ReadableStream({ start: (controller) => controller.close() });
}

/** Messages received by a socket before its output stream existed, by socket. */
const held = new WeakMap<WebSocket, { messages: MessageEvent[]; stop: () => void }>();

/**
 * Keeps what `socket` receives until its output stream takes it. Called as
 * each exec socket opens: the daemon starts the command once its last
 * socket is connected and may write to the first ones before the client
 * has seen that last one open (messages nobody listens to are lost: the
 * output, or its end-of-file barrier, after which the daemon waits for the
 * client to close).
 */
export function holdMessages(socket: WebSocket): void {
  const messages: MessageEvent[] = [];
  const hold = (event: MessageEvent) => messages.push(event);
  socket.addEventListener("message", hold);
  held.set(socket, { messages, stop: () => socket.removeEventListener("message", hold) });
}

/** The messages held for `socket` (none if it was not held), and stops holding. */
function releaseMessages(socket: WebSocket): MessageEvent[] {
  const entry = held.get(socket);
  if (entry === undefined) return [];
  held.delete(socket);
  entry.stop();
  return entry.messages;
}

/**
 * The bytes a websocket carries, as a stream. An empty text message (the
 * daemons' end-of-file barrier, after which the socket is closed) or the
 * socket's close ends it.
 */
function outputStream(socket: WebSocket): ReadableStream<Uint8Array> {
  let done = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const finish = () => {
        if (done) return;
        done = true;
        controller.close();
      };
      const onMessage = (event: MessageEvent) => {
        if (done) return;
        if (typeof event.data === "string") {
          if (event.data === "") {
            finish();
            closeIfOpen(socket);
          }
          return;
        }
        controller.enqueue(new Uint8Array(event.data as ArrayBuffer));
      };
      for (const event of releaseMessages(socket)) onMessage(event);
      socket.addEventListener("message", onMessage);
      socket.addEventListener("close", finish);
      if (socket.readyState === WebSocket.CLOSED) finish(); // closed while held
    },
    cancel() {
      done = true;
      closeIfOpen(socket);
    },
  });
}

/**
 * The command's input as a writable stream: each chunk is a binary message;
 * closing sends the end-of-file barrier (an empty text message).
 */
function inputStream(socket: WebSocket): WritableStream<Uint8Array> {
  return new WritableStream<Uint8Array>({
    write(chunk) {
      if (socket.readyState !== WebSocket.OPEN) {
        throw new TypeError("the command's input is closed");
      }
      if (chunk.byteLength > 0) socket.send(chunk);
    },
    close() {
      if (socket.readyState === WebSocket.OPEN) socket.send("");
    },
    abort() {
      if (socket.readyState === WebSocket.OPEN) socket.send("");
    },
  });
}
