/**
 * The real daemons the integration suites run against, and helpers that
 * make real operations on them. A missing daemon fails loudly: the suites
 * are never skipped.
 */

import { type Client, connect, type ConnectOptions, type Operation } from "../../mod.ts";

/** A real daemon under test. */
export interface RealDaemon {
  /** "incus" or "lxd". */
  name: "incus" | "lxd";
  /** Its Unix socket. */
  socket: string;
  /** A running container made by tests/daemons/start.sh. */
  instance: string;
  /** The image alias provisioned on it. */
  image: string;
}

const WANTED = (Deno.env.get("INCUSOPS_REAL_DAEMONS") ?? "incus,lxd").split(",").map((s) =>
  s.trim()
).filter(Boolean);

function socketOf(name: "incus" | "lxd"): string {
  const variable = name === "incus" ? "INCUS_SOCKET" : "LXD_SOCKET";
  const socket = Deno.env.get(variable);
  if (!socket) {
    throw new Error(
      `${variable} is not set: the integration suite needs a real ${name} daemon. ` +
        `Run the tests through "bash tests/daemons/with-daemons.sh deno task test", or set ` +
        `INCUSOPS_REAL_DAEMONS to the daemons you have (e.g. "incus").`,
    );
  }
  try {
    if (Deno.statSync(socket).isSocket !== true) throw new Error("not a socket");
  } catch (error) {
    throw new Error(`${variable}=${socket} is not a usable socket (${error})`);
  }
  return socket;
}

/** The daemons to test: both, unless INCUSOPS_REAL_DAEMONS names a subset. */
export const DAEMONS: RealDaemon[] = (["incus", "lxd"] as const)
  .filter((name) => WANTED.includes(name))
  .map((name) => ({ name, socket: socketOf(name), instance: "c1", image: "busybox" }));

if (DAEMONS.length === 0) {
  throw new Error(`INCUSOPS_REAL_DAEMONS=${WANTED.join(",")} names no known daemon`);
}

/** Connects to `daemon`. */
export function connectTo(
  daemon: RealDaemon,
  project?: string,
  options: Omit<ConnectOptions, "socket" | "project"> = {},
): Client {
  return connect({ ...options, socket: daemon.socket, project });
}

/** Starts `command` in the daemon's container; resolves with the running operation. */
export function startExec(
  client: Client,
  daemon: RealDaemon,
  command: string[],
  options: { project?: string; instance?: string } = {},
): Promise<Operation> {
  const instance = options.instance ?? daemon.instance;
  return client.query<Operation>(`/1.0/instances/${instance}/exec`, {
    method: "POST",
    project: options.project,
    body: {
      command,
      "wait-for-websocket": false,
      interactive: false,
      "record-output": false,
    },
  });
}

/** Starts `sleep seconds` in the daemon's container. */
export function startSleep(
  client: Client,
  daemon: RealDaemon,
  seconds: number,
  options: { project?: string; instance?: string } = {},
): Promise<Operation> {
  return startExec(client, daemon, ["sleep", String(seconds)], options);
}

/**
 * Creates the stopped instance `name` from the daemon's image (in `project`,
 * with `config`), waiting up to 60 s for it.
 */
export async function createInstance(
  client: Client,
  daemon: RealDaemon,
  name: string,
  options: { project?: string; config?: Record<string, string> } = {},
): Promise<void> {
  await client.query("/1.0/instances", {
    method: "POST",
    project: options.project,
    body: { name, source: { type: "image", alias: daemon.image }, config: options.config },
    wait: true,
    timeout: 60_000,
  });
}

/**
 * Runs `body` with a new stopped instance whose migration source operations
 * can be cancelled (`startMigration` starts one), then deletes the instance.
 */
export async function withMigratable(
  client: Client,
  daemon: RealDaemon,
  body: (startMigration: () => Promise<Operation>) => Promise<void>,
): Promise<void> {
  const instance = uniqueName("cancel");
  await createInstance(client, daemon, instance);
  try {
    await body(() =>
      client.query<Operation>(`/1.0/instances/${instance}`, {
        method: "POST",
        body: { migration: true, live: false },
      })
    );
  } finally {
    await client.query(`/1.0/instances/${instance}`, { method: "DELETE", wait: true })
      .catch(() => {});
  }
}

/** A name unique to this run, for instances, projects, images. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}
