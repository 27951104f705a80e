/**
 * The real 3-member Incus cluster the cluster suites run against (made by
 * tests/daemons/cluster.sh), and helpers to act on it: start work on a
 * member, kill and restart a member. A missing cluster fails loudly when
 * INCUSOPS_REAL_DAEMONS names it (the default).
 */

import { type Client, connect, type ConnectOptions, type Operation } from "../../mod.ts";

/** One member of the test cluster. */
export interface TestMember {
  /** `m1`, `m2`, `m3`. */
  name: string;
  /** Its Unix socket. */
  socket: string;
  /** Its HTTPS URL (reachable inside the cluster's network namespace only). */
  url: string;
  /** The running container placed on it. */
  instance: string;
}

/** The test cluster. */
export interface TestCluster {
  /** Its state root (cluster.sh's CLUSTER_ROOT). */
  root: string;
  /** Its members, m1 first. */
  members: TestMember[];
  /** The pid whose network namespace holds the members' addresses. */
  netnsPid: string;
  /** PEM client certificate trusted by the cluster. */
  cert: string;
  /** PEM key of `cert`. */
  key: string;
  /** PEM cluster certificate (every member serves it). */
  serverCert: string;
}

const WANTED = (Deno.env.get("INCUSOPS_REAL_DAEMONS") ?? "incus,lxd,cluster").split(",")
  .map((s) => s.trim());

function required(name: string): string {
  const value = Deno.env.get(name);
  if (!value) {
    throw new Error(
      `${name} is not set: the cluster suites need the 3-member cluster of ` +
        `tests/daemons/cluster.sh. Run them through "bash tests/daemons/with-daemons.sh ` +
        `deno task test", or leave "cluster" out of INCUSOPS_REAL_DAEMONS.`,
    );
  }
  return value;
}

function load(): TestCluster {
  const names = required("INCUSOPS_CLUSTER_MEMBERS").split(",");
  const sockets = required("INCUSOPS_CLUSTER_SOCKETS").split(",");
  const urls = required("INCUSOPS_CLUSTER_URLS").split(",");
  const instances = required("INCUSOPS_CLUSTER_INSTANCES").split(",");
  const netnsPid = required("INCUSOPS_CLUSTER_NETNS_PID");
  const own = Deno.readLinkSync("/proc/self/ns/net");
  if (Deno.readLinkSync(`/proc/${netnsPid}/ns/net`) !== own) {
    throw new Error(
      `the cluster suites must run inside the cluster's network namespace (its members' ` +
        `HTTPS addresses exist only there): nsenter --net=/proc/${netnsPid}/ns/net deno test ...` +
        ` (tests/daemons/with-daemons.sh does it)`,
    );
  }
  return {
    root: required("INCUSOPS_CLUSTER_ROOT"),
    members: names.map((name, i) => ({
      name,
      socket: sockets[i],
      url: urls[i],
      instance: instances[i],
    })),
    netnsPid,
    cert: Deno.readTextFileSync(required("INCUSOPS_CLUSTER_CERT")),
    key: Deno.readTextFileSync(required("INCUSOPS_CLUSTER_KEY")),
    serverCert: Deno.readTextFileSync(required("INCUSOPS_CLUSTER_SERVER_CERT")),
  };
}

/** The cluster, or `undefined` when INCUSOPS_REAL_DAEMONS leaves it out. */
export const CLUSTER: TestCluster | undefined = WANTED.includes("cluster") ? load() : undefined;

/** Connects to a member's Unix socket. */
export function connectToMember(
  member: TestMember,
  options: Omit<ConnectOptions, "socket"> = {},
): Client {
  return connect({ ...options, socket: member.socket });
}

/** Starts `command` in `member`'s container; resolves with the running operation. */
export function startOn(client: Client, member: TestMember, command: string[]): Promise<Operation> {
  return client.query<Operation>(`/1.0/instances/${member.instance}/exec`, {
    method: "POST",
    body: { command, "wait-for-websocket": false, interactive: false, "record-output": false },
  });
}

async function clusterScript(...args: string[]): Promise<void> {
  const script = new URL("../daemons/cluster.sh", import.meta.url).pathname;
  const output = await new Deno.Command("bash", {
    args: [script, ...args],
    env: { CLUSTER_ROOT: CLUSTER!.root },
    stdin: "null",
  }).output();
  if (output.code !== 0) {
    throw new Error(`cluster.sh ${args.join(" ")}: ${new TextDecoder().decode(output.stderr)}`);
  }
}

/** SIGKILLs a member's incusd (its containers live on). */
function killMember(member: TestMember): Promise<void> {
  return clusterScript("kill-member", member.name);
}

/**
 * Restarts a member, then waits (bounded) until `through` forwards to it
 * again (`GET /1.0?target=`), so the next test finds a whole cluster.
 */
export async function restartMember(member: TestMember, through: Client): Promise<void> {
  await clusterScript("start-member", member.name);
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await through.query("/1.0", { query: { target: member.name }, retry: false });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${member.name} not back in 60 s: ${error}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/**
 * SIGKILLs `member`'s incusd, runs `body`, then restarts the member and
 * waits until `through` forwards to it again, whatever `body` did.
 */
export async function whileKilled(
  member: TestMember,
  through: Client,
  body: () => Promise<void>,
): Promise<void> {
  await killMember(member);
  try {
    await body();
  } finally {
    await restartMember(member, through);
  }
}
