/**
 * Reading back the output the server recorded for an exec operation in
 * `record-output` mode ({@linkcode Client.execRecorded}).
 *
 * @module
 */

import { ProtocolError } from "../core/errors.ts";
// deno-lint-ignore no-unused-vars -- for {@linkcode} in the docs
import type { Client } from "./client.ts";
import { type ExecOutput, execOutput, execStatus } from "./exec_options.ts";
import type { Operation } from "./operation.ts";
import { scopeQuery } from "./call_scope.ts";
import type { Transport } from "./transport/transport.ts";

/** How {@linkcode readRecordedOutput} reads the logs. */
export interface RecordedReadOptions {
  /** The project of the instance. */
  project: string | undefined;
  /** Aborts the reading. */
  signal?: AbortSignal;
  /** Keep the server's log files instead of deleting them once read. */
  keepLogs?: boolean;
  /** `performance.now()` by which the reading must end, if any. */
  deadline?: number;
}

/**
 * Reads the stdout and stderr log files a finished `record-output` exec
 * operation names (only log files of `instance`: any other path is a
 * {@linkcode ProtocolError}, not read) and deletes them unless `keepLogs`.
 *
 * @param transport The client's transport.
 * @param instance The instance name, as checked by `instanceName`.
 * @param final The finished exec operation.
 * @param options The project, signal, `keepLogs` and deadline.
 * @returns The exit code and the recorded output.
 */
export async function readRecordedOutput(
  transport: Transport,
  instance: string,
  final: Operation,
  options: RecordedReadOptions,
): Promise<ExecOutput> {
  const { deadline } = options;
  const left = () =>
    deadline === undefined
      ? undefined
      : Math.min(Math.max(0, deadline - performance.now()), transport.requestTimeout);
  const logs = (final.metadata?.output ?? {}) as Record<string, string>;
  const logDir = `/1.0/instances/${instance}/logs/`;
  const read = async (fd: string): Promise<Uint8Array> => {
    const path = logs[fd];
    if (path === undefined) return new Uint8Array();
    // Only a log file of this instance, never another path the answer names.
    const file = path.startsWith(logDir) ? path.slice(logDir.length) : "";
    if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)?$/.test(file) || file.includes("..")) {
      throw new ProtocolError(
        `exec operation ${final.id}: unexpected log path ${JSON.stringify(path)} from ` +
          `${transport.endpoint} (not read)`,
        {
          status: 200,
          method: "GET",
          path: `/1.0/operations/${final.id}`,
          endpoint: transport.endpoint,
        },
      );
    }
    const query = scopeQuery({ project: options.project });
    const bytes = await transport.requestBytes("GET", path, {
      query,
      signal: options.signal,
      timeout: left(),
    });
    if (!options.keepLogs) await transport.request("DELETE", path, { query }).catch(() => {});
    return bytes;
  };
  const [stdout, stderr] = [await read("1"), await read("2")];
  return execOutput(execStatus(final), stdout, stderr);
}
