/**
 * What an exec is asked with and what it answers: its options, the
 * request body `client.exec()` and `client.execRecorded()` send, and the
 * exit status and output they resolve with.
 *
 * @module
 */

import { InvalidArgumentError } from "../core/errors.ts";
import { describeValue } from "../core/validate.ts";
import type { ExecOperation, Operation } from "./operation.ts";
import { withoutSecrets } from "./secrets.ts";

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
   * `Deno.Command`'s `"pipe"` and `"inherit"` are refused (an
   * `InvalidArgumentError`), not sent as text: send such a word as bytes.
   *
   * @default {"null"}
   */
  stdin?: "null" | "piped" | string | Uint8Array | ReadableStream<Uint8Array>;
  /** Run under a terminal (stdout and stderr merged on `stdout`). */
  interactive?: boolean;
  /** Terminal width, interactive mode. */
  width?: number;
  /** Terminal height, interactive mode. */
  height?: number;
}

/** Options of `client.execRecorded()`. */
export interface ExecRecordedOptions extends ExecOptions {
  /**
   * How long the whole call may take, in ms (the command and the reading of
   * its logs); when it passes the call rejects with an `OperationTimeoutError`.
   *
   * @default {undefined} (no limit)
   */
  timeout?: number;
  /**
   * Keep the server's log files of the output (deleted once read otherwise).
   *
   * @default {false}
   */
  keepLogs?: boolean;
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

/** Checks exec's `stdin` option (before anything is sent). */
export function checkStdin(stdin: unknown): void {
  const input = stdin === undefined || stdin instanceof Uint8Array ||
    stdin instanceof ReadableStream || typeof stdin === "string" && !/^(pipe|inherit)$/.test(stdin);
  if (input) return;
  throw new InvalidArgumentError(
    `invalid stdin ${describeValue(stdin)}: expected "null", "piped" (then write to ` +
      `process.stdin), or the text, bytes or stream to send (a word like "inherit" as bytes)`,
  );
}

/** Linux's signals in number order (1 = SIGHUP), as the daemons take them. */
const SIGNALS = ("HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT " +
  "CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO PWR SYS").split(" ");

/** The number of a signal given as a number (1–64) or a name (`"SIGTERM"` or `"TERM"`). */
export function signalNumber(signal: unknown): number {
  const name = typeof signal === "string" ? signal.replace(/^SIG/, "") : undefined;
  const number = name === undefined ? signal as number : SIGNALS.indexOf(name) + 1;
  if (Number.isInteger(number) && number >= 1 && number <= 64) return number;
  throw new InvalidArgumentError(
    `invalid signal ${describeValue(signal)}: expected 1 to 64 or a name like "SIGTERM"`,
  );
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
  for (const key of ["cwd", "user", "group", "width", "height"] as const) {
    if (options[key] !== undefined) body[key] = options[key];
  }
  return body;
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
