/**
 * The exit codes (one table), and the code and one-line message of an error.
 *
 * @module
 */

import {
  ConnectionError,
  InvalidArgumentError,
  OperationCancelledError,
  OperationFailedError,
  ProtocolError,
} from "../core/errors.ts";
import { AuthenticationError, IncusError } from "../incus/errors.ts";
import { UsageError } from "./args.ts";

/**
 * Exit codes of `incusops` (what each means: `incusops --help`). Each
 * field's type is its number, so that the docs show it.
 */
export const ExitCode: {
  readonly Ok: 0;
  readonly Failed: 1;
  readonly Usage: 2;
  readonly Timeout: 3;
  readonly Connection: 4;
  readonly Protocol: 5;
  readonly Partial: 6;
} = { Ok: 0, Failed: 1, Usage: 2, Timeout: 3, Connection: 4, Protocol: 5, Partial: 6 };

/** One exit code: when it is returned, and the errors that end with it. */
export interface ExitCodeRow {
  /** The code. */
  code: number;
  /** When it is returned (Markdown). */
  when: string;
  /** The errors that end with it (Markdown). */
  errors: string;
}

/**
 * The one table of the exit codes: `incusops --help` prints it, and the
 * docs' table (between `<!-- exit-codes -->` markers) is tested against it.
 */
export const EXIT_CODES: readonly ExitCodeRow[] = [
  { code: ExitCode.Ok, when: "success", errors: "" },
  {
    code: ExitCode.Failed,
    when: "the operation failed or was cancelled, or the server refused the request",
    errors: "`OperationFailedError`, `OperationCancelledError`, `IncusError` (and any other)",
  },
  {
    code: ExitCode.Usage,
    when: "usage: bad option, id, path or duration; nothing was sent",
    errors: "`InvalidArgumentError`, the CLI's usage errors",
  },
  {
    code: ExitCode.Timeout,
    when: "`--timeout` passed; the operation keeps running",
    errors: "`TimeoutError` (`OperationTimeoutError`)",
  },
  {
    code: ExitCode.Connection,
    when: "connection: the daemon or config.yml cannot be used, the server refused the bearer " +
      "token, or Deno lacks a permission (named)",
    errors: "`ConnectionError`, `ResponseTimeoutError`, `AuthenticationError`, Deno's `NotCapable`",
  },
  {
    code: ExitCode.Protocol,
    when: "protocol: something answered, but not as an Incus/LXD daemon does",
    errors: "`ProtocolError`",
  },
  {
    code: ExitCode.Partial,
    when: "a partial list: cluster members or remotes could not be heard from (named on " +
      "stderr); what was heard is printed",
    errors: "`MemberUnreachableError` from `list`, a fleet's missing remotes",
  },
];

/**
 * The exit code ({@linkcode EXIT_CODES}) and one-line message for an error.
 *
 * @param error What was thrown.
 * @returns The exit code and the message.
 */
export function describeFailure(error: unknown): { code: number; message: string } {
  const text = error instanceof Error ? error.message : String(error);
  if (error instanceof UsageError || error instanceof InvalidArgumentError) {
    return { code: ExitCode.Usage, message: `${text} (see incusops --help)` };
  }
  if (error instanceof Error && error.name === "TimeoutError") {
    return {
      code: ExitCode.Timeout,
      message: `${text}; the operation keeps running (raise --timeout)`,
    };
  }
  if (error instanceof ProtocolError) return { code: ExitCode.Protocol, message: text };
  if (error instanceof ConnectionError || error instanceof AuthenticationError) {
    return { code: ExitCode.Connection, message: text };
  }
  if (error instanceof Deno.errors.NotCapable) {
    // Deno's text names the permission and the flag ("run again with the --allow-env flag").
    return { code: ExitCode.Connection, message: `Deno may not do this: ${text}` };
  }
  if (error instanceof OperationFailedError || error instanceof OperationCancelledError) {
    return { code: ExitCode.Failed, message: text };
  }
  if (error instanceof IncusError && error.path !== "" && !text.includes(error.path)) {
    // "not found" alone does not say what was not found.
    return { code: ExitCode.Failed, message: `${error.method} ${error.path}: ${text}` };
  }
  return { code: ExitCode.Failed, message: text };
}
