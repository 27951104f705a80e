/**
 * `POST /1.0/instances/<name>/exec` for the fake daemon, as Incus 6.0 and
 * LXD 5.0 serve it: a websocket operation (fds `0`, `1`, `2`, `control`;
 * `0` and `control` under a terminal) or a task operation, with the exit
 * code in `metadata.return` and recorded output under the instance's logs.
 *
 * @module
 */

import { concatBytes } from "../core/body.ts";
import { closeWebSocket, whenClosed } from "../core/websocket.ts";
import {
  bytesOf,
  type CommandEnvironment,
  endsProcess,
  type FakeCommand,
  runCommand,
} from "./fake_commands.ts";

/** The `POST .../exec` body fields the fake reads. */
export interface ExecRequest {
  command?: unknown;
  environment?: Record<string, string>;
  "wait-for-websocket"?: boolean;
  "record-output"?: boolean;
  interactive?: boolean;
  width?: number;
  height?: number;
  cwd?: string;
  user?: number;
}

/** How an exec ends, as the operation will show it. */
export interface ExecOutcome {
  /** Final status. */
  status: "Success" | "Failure";
  /** The failure's `err`. */
  err?: string;
  /** Merged into the operation's metadata (`return`, `output`). */
  metadata: Record<string, unknown>;
}

/** The environment the daemons give every command (before the request's own). */
export function execEnvironment(request: ExecRequest): Record<string, string> {
  const env: Record<string, string> = {
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    LANG: "C.UTF-8",
  };
  if ((request.user ?? 0) === 0) Object.assign(env, { HOME: "/root", USER: "root" });
  return { ...env, ...request.environment };
}

/** The operation an exit code (or an error starting the command) gives. */
export function execOutcome(
  result: number | Error,
  metadata: Record<string, unknown>,
): ExecOutcome {
  if (result instanceof Error) return { status: "Failure", err: result.message, metadata };
  const withReturn = { ...metadata, return: result };
  // Both daemons turn these two exit codes into a failed operation.
  if (result === 127) return { status: "Failure", err: "Command not found", metadata: withReturn };
  if (result === 126) {
    return { status: "Failure", err: "Command not executable", metadata: withReturn };
  }
  return { status: "Success", metadata: withReturn };
}

/** What a {@linkcode FakeProcess} runs and where its output goes. */
export interface ProcessSpec {
  command: readonly string[];
  instance: string;
  project: string;
  request: ExecRequest;
  commands: Readonly<Record<string, FakeCommand>>;
  write: (bytes: Uint8Array) => void;
  writeError: (bytes: Uint8Array) => void;
}

/** One running scripted command: its input, signals and terminal. */
export class FakeProcess {
  readonly #killed = new AbortController();
  readonly #spec: ProcessSpec;
  readonly #stdin: ReadableStream<Uint8Array>;
  #input!: ReadableStreamDefaultController<Uint8Array>;
  #inputOpen = true;
  #terminal: { width: number; height: number } | undefined;

  constructor(spec: ProcessSpec) {
    this.#spec = spec;
    this.#stdin = new ReadableStream({
      start: (controller) => void (this.#input = controller),
      cancel: () => void (this.#inputOpen = false), // the command stopped reading (killed)
    });
    const { interactive, width, height } = spec.request;
    if (interactive) this.#terminal = { width: width || 80, height: height || 25 };
  }

  /** Sends `signal`; one that ends a process ends it with 128 + signal. */
  kill(signal: number): void {
    if (endsProcess(signal) && !this.#killed.signal.aborted) this.#killed.abort(signal);
  }

  /** Resizes the terminal (interactive mode only). */
  resize(width: number, height: number): void {
    if (this.#terminal !== undefined && width > 0 && height > 0) this.#terminal = { width, height };
  }

  /** Hands bytes to the command's stdin. */
  feed(bytes: Uint8Array): void {
    if (this.#inputOpen && bytes.byteLength > 0) this.#input.enqueue(bytes);
  }

  /** Ends the command's stdin. */
  endInput(): void {
    if (!this.#inputOpen) return;
    this.#inputOpen = false;
    this.#input.close();
  }

  /** Runs the command: resolves with its exit code, or the error that kept it from starting. */
  async run(): Promise<number | Error> {
    const { command, request } = this.#spec;
    const signal = this.#killed.signal;
    const terminal = () => this.#terminal;
    const base: CommandEnvironment["base"] = {
      instance: this.#spec.instance,
      project: this.#spec.project,
      env: execEnvironment(request),
      cwd: request.cwd || execEnvironment(request).HOME || "/",
      interactive: request.interactive === true,
      get terminal() {
        return terminal();
      },
      stdin: this.#stdin,
      signal,
    };
    let open = true;
    const guard = (sink: (bytes: Uint8Array) => void) => (data: string | Uint8Array) => {
      if (open) sink(bytesOf(data));
    };
    const environment: CommandEnvironment = {
      commands: this.#spec.commands,
      base,
      write: guard(this.#spec.write),
      writeError: guard(this.#spec.writeError),
    };
    const killed = new Promise<number>((resolve) => {
      if (signal.aborted) resolve(128 + signal.reason);
      signal.addEventListener("abort", () => resolve(128 + signal.reason), { once: true });
    });
    // Killed before it started (a signal sent at once): it never runs.
    const started = signal.aborted
      ? killed
      : command.length === 0
      ? Promise.reject(new Error("Failed to retrieve PID of executing child process null"))
      : runCommand(command, environment);
    try {
      return await Promise.race([started, killed]);
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    } finally {
      open = false;
      started.catch(() => {});
      this.endInput();
    }
  }
}

/** An operation's websocket endpoints, served at `/1.0/operations/<id>/websocket`. */
export interface WebSocketEndpoints {
  /** The secret of each socket, by fd name (the operation's `metadata.fds`). */
  readonly fds: Readonly<Record<string, string>>;
  /** Names already connected (a second connection is dropped). */
  readonly connected: Set<string>;
  /** Called once a client's socket for `name` is open. */
  open(name: string, socket: WebSocket): void;
}

/** 64 hex digits, like the daemons' websocket secrets. */
export function newSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** How long after its sockets are connected a command starts, ms. */
const START_DELAY_MS = 30;

const CR = 0x0d;
const LF = 0x0a;
const END_OF_TRANSMISSION = 0x04;

/** A terminal's output processing: every `\n` becomes `\r\n`. */
function terminalOutput(bytes: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (const byte of bytes) {
    if (byte === LF) out.push(CR);
    out.push(byte);
  }
  return new Uint8Array(out);
}

/** What an {@linkcode ExecSession} needs from its daemon. */
export interface SessionSpec {
  instance: string;
  project: string;
  request: ExecRequest;
  commands: Readonly<Record<string, FakeCommand>>;
  /** How long the client has to connect the required sockets, ms. */
  connectMs: number;
  /** Called once, when the operation must finish. */
  finish: (outcome: ExecOutcome) => void;
}

/**
 * The websocket side of one exec (`wait-for-websocket: true`): starts the
 * command once fds 0, 1 and 2 (0 and control, interactive) are connected,
 * or fails the operation after `connectMs`; mirrors stdin/stdout/stderr;
 * obeys `signal` and `window-resize` on the control socket and kills the
 * command (SIGKILL) when the control socket closes first; at the end
 * closes the control socket, sends the empty-message barrier on each
 * output and closes every socket (under a terminal, waits for the client
 * to close fd 0), then finishes the operation.
 */
export class ExecSession implements WebSocketEndpoints {
  readonly fds: Record<string, string> = {};
  readonly connected: Set<string> = new Set();
  readonly #sockets = new Map<string, WebSocket>();
  readonly #spec: SessionSpec;
  readonly #interactive: boolean;
  readonly #process: FakeProcess;
  readonly #connectTimer: ReturnType<typeof setTimeout>;
  #startTimer: ReturnType<typeof setTimeout> | undefined;
  #started = false;
  #ended = false;
  readonly #aborted = Promise.withResolvers<void>();
  /** Resolves once the operation is finished and every socket closed. */
  readonly done: Promise<void>;
  readonly #done = Promise.withResolvers<void>();

  constructor(spec: SessionSpec) {
    this.#spec = spec;
    this.done = this.#done.promise;
    this.#interactive = spec.request.interactive === true;
    for (const name of this.#interactive ? ["0", "control"] : ["0", "1", "2", "control"]) {
      this.fds[name] = newSecret();
    }
    const send = (name: string) => (bytes: Uint8Array) => {
      const socket = this.#sockets.get(name);
      if (socket?.readyState === WebSocket.OPEN && bytes.byteLength > 0) socket.send(bytes);
    };
    const terminal = (bytes: Uint8Array) => send("0")(terminalOutput(bytes));
    this.#process = new FakeProcess({
      command: spec.request.command as string[],
      instance: spec.instance,
      project: spec.project,
      request: spec.request,
      commands: spec.commands,
      write: this.#interactive ? terminal : send("1"),
      writeError: this.#interactive ? terminal : send("2"),
    });
    this.#connectTimer = setTimeout(() => {
      if (this.#started) return;
      this.#ended = true;
      void this.#end({
        status: "Failure",
        err: "Timed out waiting for websockets to connect",
        metadata: {},
      });
    }, spec.connectMs);
  }

  /** Kills the command and closes everything (the daemon is closing). */
  abort(): Promise<void> {
    this.#aborted.resolve();
    this.#process.kill(9);
    if (this.#startTimer !== undefined && !this.#ended) {
      // Connected but not started yet: start it, already killed.
      clearTimeout(this.#startTimer);
      this.#process.run().then((result) => this.#exited(result));
    }
    if (!this.#started && !this.#ended) {
      this.#ended = true;
      void this.#end({ status: "Failure", err: "Daemon shutting down", metadata: {} });
    }
    for (const socket of this.#sockets.values()) void closeWebSocket(socket, 0);
    return this.done;
  }

  open(name: string, socket: WebSocket): void {
    this.#sockets.set(name, socket);
    if (this.#ended) {
      socket.close();
      return;
    }
    if (name === "control") this.#control(socket);
    else if (name === "0") this.#input(socket);
    else if (name === "1") {
      // Without a control socket, a message or a close on stdout means the client is gone.
      const gone = () => {
        if (!this.connected.has("control") && !this.#ended) this.#process.kill(9);
      };
      socket.addEventListener("message", gone);
      socket.addEventListener("close", gone);
    }
    const required = this.#interactive ? ["0", "control"] : ["0", "1", "2"];
    if (!this.#started && required.every((fd) => this.#sockets.has(fd))) {
      this.#started = true;
      clearTimeout(this.#connectTimer);
      // Like the daemons (tens of ms to start a command): a client that
      // listens once all its sockets are open misses nothing.
      this.#startTimer = setTimeout(
        () => {
          this.#startTimer = undefined;
          this.#process.run().then((result) => this.#exited(result));
        },
        START_DELAY_MS,
      );
    }
  }

  #control(socket: WebSocket): void {
    socket.addEventListener("message", (event) => {
      const text = typeof event.data === "string"
        ? event.data
        : new TextDecoder().decode(event.data as ArrayBuffer);
      let message: { command?: unknown; signal?: unknown; args?: Record<string, string> } | null;
      try {
        message = JSON.parse(text);
      } catch {
        return; // The daemons ignore what they cannot parse (and any JSON that is no object).
      }
      if (message?.command === "signal") this.#process.kill(Number(message.signal));
      if (message?.command === "window-resize" && this.#interactive) {
        this.#process.resize(Number(message.args?.width), Number(message.args?.height));
      }
    });
    socket.addEventListener("close", () => {
      if (!this.#ended) this.#process.kill(9);
    });
  }

  #input(socket: WebSocket): void {
    const echo = (bytes: Uint8Array) => {
      const out = this.#sockets.get("0");
      if (out?.readyState === WebSocket.OPEN) out.send(terminalOutput(bytes));
    };
    socket.addEventListener("message", (event) => {
      if (typeof event.data === "string") {
        // End of input; a terminal only ends on Ctrl-D.
        if (!this.#interactive) this.#process.endInput();
        return;
      }
      const bytes = new Uint8Array(event.data as ArrayBuffer);
      if (!this.#interactive) return this.#process.feed(bytes);
      const eot = bytes.indexOf(END_OF_TRANSMISSION);
      const typed = eot < 0 ? bytes : bytes.subarray(0, eot);
      echo(typed);
      this.#process.feed(typed);
      if (eot >= 0) this.#process.endInput();
    });
    socket.addEventListener("close", () => this.#process.endInput());
  }

  async #exited(result: number | Error): Promise<void> {
    this.#ended = true;
    const control = this.#sockets.get("control");
    if (control !== undefined) void closeWebSocket(control, 1_000);
    const outputs = this.#interactive ? ["0"] : ["1", "2"];
    for (const name of outputs) {
      const socket = this.#sockets.get(name);
      if (socket?.readyState === WebSocket.OPEN) socket.send("");
    }
    // Under a terminal the daemon waits for the client to close fd 0.
    const terminal = this.#sockets.get("0");
    if (this.#interactive && terminal !== undefined) {
      await Promise.race([whenClosed(terminal), this.#aborted.promise]);
    }
    const metadata = result instanceof Error ? { return: -1 } : {};
    await this.#end(execOutcome(result, metadata));
  }

  async #end(outcome: ExecOutcome): Promise<void> {
    clearTimeout(this.#connectTimer);
    await Promise.all([...this.#sockets.values()].map((socket) => closeWebSocket(socket, 1_000)));
    this.#spec.finish(outcome);
    this.#done.resolve();
  }
}

/** Exec log paths: Incus keeps them under `logs/exec-output/`, LXD 5.0 directly under `logs/`. */
export function execLogPaths(
  flavor: "incus" | "lxd",
  instance: string,
  id: string,
): { "1": string; "2": string } {
  const dir = flavor === "incus"
    ? `/1.0/instances/${instance}/logs/exec-output`
    : `/1.0/instances/${instance}/logs`;
  return { "1": `${dir}/exec_${id}.stdout`, "2": `${dir}/exec_${id}.stderr` };
}

/** What {@linkcode runTask} needs. */
export interface TaskSpec extends Omit<SessionSpec, "connectMs"> {
  /** Where `record-output` logs go: called with stdout's and stderr's paths and bytes. */
  record: ((fd: "1" | "2", bytes: Uint8Array) => string) | undefined;
  /** Called with the process before it runs (to kill it when the daemon closes). */
  track: (process: FakeProcess) => () => void;
}

/**
 * Runs a command without websockets (`wait-for-websocket: false`): stdin
 * is empty, the output is dropped or recorded; finishes the operation with
 * `return` (and `output` when recorded).
 */
export async function runTask(spec: TaskSpec): Promise<void> {
  const stdout: Uint8Array[] = [];
  const stderr: Uint8Array[] = [];
  const process = new FakeProcess({
    command: spec.request.command as string[],
    instance: spec.instance,
    project: spec.project,
    request: spec.request,
    commands: spec.commands,
    write: (bytes) => spec.record && stdout.push(bytes.slice()),
    writeError: (bytes) => spec.record && stderr.push(bytes.slice()),
  });
  const untrack = spec.track(process);
  process.endInput();
  const result = await process.run();
  untrack();
  const metadata: Record<string, unknown> = {};
  if (spec.record !== undefined) {
    metadata.output = {
      "1": spec.record("1", concatBytes(stdout)),
      "2": spec.record("2", concatBytes(stderr)),
    };
  }
  spec.finish(execOutcome(result, metadata));
}
