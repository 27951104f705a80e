/**
 * The two ways `Client` runs a command: attached to the operation's
 * websockets (`client.exec()`) or with the output recorded by the server
 * (`client.execRecorded()`). The exec modules load on first use: a client
 * that never runs a command never loads them.
 *
 * @module
 */

import { duration } from "../core/validate.ts";
import type { Client } from "./client.ts";
import type { ApiTypes } from "./typed_api.ts";
import type { ExecProcess } from "./exec.ts";
import {
  checkStdin,
  execBody,
  type ExecOutput,
  type ExecRecordedOptions,
  type ExecStreamOptions,
  instanceName,
} from "./exec_options.ts";
import type { Operation } from "./operation.ts";
import type { Transport } from "./transport/transport.ts";

/** Starts `command` in `wait-for-websocket` mode and attaches to its streams. */
export async function startExec(
  client: Client<ApiTypes>,
  transport: Transport,
  instance: string,
  command: readonly string[],
  options: ExecStreamOptions,
): Promise<ExecProcess> {
  const name = instanceName(instance);
  checkStdin(options.stdin);
  const body = execBody(command, options, { waitForWebsocket: true, recordOutput: false });
  const { signal, project } = options; // decided by the client (callScope)
  const started = await client.query<Operation>(`/1.0/instances/${name}/exec`, {
    method: "POST",
    body,
    project,
    signal,
  });
  const { attachExec } = await import("./exec.ts");
  return await attachExec(transport, started, {
    stdin: options.stdin,
    signal,
    wait: (stop) => client.operations.wait(started.id, { project, signal: stop }),
  });
}

/** Runs `command` in `record-output` mode, waits for it and reads its logs. */
export async function runRecorded(
  client: Client<ApiTypes>,
  transport: Transport,
  instance: string,
  command: readonly string[],
  options: ExecRecordedOptions,
): Promise<ExecOutput> {
  const name = instanceName(instance);
  const body = execBody(command, options, { waitForWebsocket: false, recordOutput: true });
  const { project } = options; // decided by the client (callScope)
  const timeout = duration("timeout", options.timeout);
  const started = performance.now();
  const final = await client.query<Operation>(`/1.0/instances/${name}/exec`, {
    method: "POST",
    body,
    project,
    signal: options.signal,
    wait: true,
    timeout,
  });
  // `timeout` bounds the whole call, the reading of the logs included.
  const { readRecordedOutput } = await import("./exec_recorded.ts");
  return await readRecordedOutput(transport, name, final, {
    project,
    signal: options.signal,
    keepLogs: options.keepLogs,
    deadline: timeout === undefined ? undefined : started + timeout,
  });
}
