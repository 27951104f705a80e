/**
 * The exit code of each error class, and its one-line message.
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

/** Exit codes of `incusops`. */
export const ExitCode = {
  /** Success. */
  Ok: 0,
  /** The operation failed or was cancelled, or the server refused the request. */
  Failed: 1,
  /** The command line is wrong (option, id, path, duration): nothing was sent. */
  Usage: 2,
  /** `--timeout` passed; the operation keeps running. */
  Timeout: 3,
  /**
   * The daemon or config.yml cannot be used, the server refused the bearer
   * token, or Deno lacks a permission (named).
   */
  Connection: 4,
  /** Something answered, but not as an Incus/LXD daemon does. */
  Protocol: 5,
  /**
   * A list lacks the operations of cluster members or remotes that could not
   * be heard from (named on stderr); what was heard is printed.
   */
  Partial: 6,
} as const;

/**
 * The exit code and one-line message for an error:
 * `UsageError`/`InvalidArgumentError` 2; a wait's `TimeoutError` 3;
 * `ProtocolError` 5 (checked before its base class); `ConnectionError`
 * (with `ResponseTimeoutError`) and Deno's `NotCapable` 4;
 * `OperationFailedError`, `OperationCancelledError`, `IncusError` and
 * anything else 1.
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
