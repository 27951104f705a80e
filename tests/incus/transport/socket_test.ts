/**
 * Never the wrong daemon: a socket named by `connect({ socket })`,
 * `INCUS_SOCKET`, `INCUS_DIR`, `LXD_SOCKET` or `LXD_DIR` is used alone (a
 * missing or unusable one is an error naming it, even when another daemon
 * answers at a default path); the default paths are searched only when
 * nothing is named; an environment that may not be read is an error naming
 * the flag. The environment and the default paths are injected: what the
 * machine has at /var/lib/incus does not matter.
 */

import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import {
  resolveSocket,
  SOCKET_VARIABLES,
  socketCandidates,
} from "../../../src/incus/transport/socket.ts";
import { connect, ConnectionError } from "../../../mod.ts";
import { FakeDaemon } from "../../../src/testing/mod.ts";
import { spawnCli } from "../../_cli.ts";

const ROOT = new URL("../../../", import.meta.url);

/** An environment of `values`; names in `denied` fail as Deno does without --allow-env. */
function envOf(values: Record<string, string>, denied: readonly string[] = []) {
  return (name: string) => {
    if (denied.includes(name)) throw new Deno.errors.NotCapable(`Requires env access to "${name}"`);
    return values[name];
  };
}

/** A folder with a live fake daemon (the "other" daemon a fallback would reach) and odd files. */
async function withFixtures(
  fn: (
    paths: { dir: string; other: string; file: string; fifo: string; link: string },
  ) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "incusops-socket-" });
  try {
    await using other = await FakeDaemon.start({ path: `${dir}/other.socket` });
    const file = `${dir}/file`;
    await Deno.writeTextFile(file, "");
    const fifo = `${dir}/fifo`;
    await new Deno.Command("mkfifo", { args: [fifo] }).output();
    const link = `${dir}/link`;
    await Deno.symlink(file, link);
    await fn({ dir, other: other.path, file, fifo, link });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("resolveSocket: connect({ socket }) is used as given, whatever the variables say", () => {
  const choice = resolveSocket({
    socket: "/given.socket",
    env: envOf({ INCUS_SOCKET: "/a", LXD_SOCKET: "/b" }, ["INCUS_DIR"]),
  });
  assertEquals(choice, { path: "/given.socket", source: "connect({ socket })" });
});

Deno.test("resolveSocket: a named socket that is missing, a file, a FIFO or a link to a file is refused, never replaced", async () => {
  await withFixtures(async ({ dir, other, file, fifo, link }) => {
    const candidates = [other]; // a daemon answers at the "default" path
    const cases: [string, string, string][] = [
      ["INCUS_SOCKET", `${dir}/nope.sock`, "it does not exist"],
      ["INCUS_SOCKET", file, "it is a regular file"],
      ["INCUS_SOCKET", fifo, "it is a FIFO"],
      ["INCUS_SOCKET", link, "it is a regular file"],
      ["LXD_SOCKET", dir, "it is a directory"],
      ["INCUS_DIR", `${dir}/missing`, "it does not exist"],
      ["LXD_DIR", dir, "it does not exist"],
    ];
    for (const [variable, value, why] of cases) {
      const error = assertThrows(
        () => resolveSocket({ env: envOf({ [variable]: value }), candidates }),
        ConnectionError,
      );
      const path = variable.endsWith("_DIR") ? `${value}/unix.socket` : value;
      assertStringIncludes(error.message, `cannot use the socket ${path} named by ${variable}`);
      assertStringIncludes(error.message, why);
      assertStringIncludes(error.message, `fix or unset ${variable}`);
      assertEquals(error.message.includes(other), false, "the other daemon is not mentioned");
    }
    await Promise.resolve();
  });
});

Deno.test("resolveSocket: a socket in a folder that cannot be entered is refused naming it", () => {
  const stat = (path: string): Deno.FileInfo => {
    if (path === "/locked/unix.socket") throw new Deno.errors.PermissionDenied("EACCES");
    return { isSocket: true } as Deno.FileInfo;
  };
  const error = assertThrows(
    () => resolveSocket({ env: envOf({ INCUS_SOCKET: "/locked/unix.socket" }), stat }),
    ConnectionError,
  );
  assertStringIncludes(error.message, "/locked/unix.socket named by INCUS_SOCKET");
  assertStringIncludes(error.message, "cannot be entered");
});

Deno.test("resolveSocket: LXD_SOCKET and LXD_DIR win over the default Incus paths", async () => {
  await withFixtures(async ({ dir, other }) => {
    await using lxd = await FakeDaemon.start({ path: `${dir}/unix.socket`, flavor: "lxd" });
    const candidates = [other, "/var/lib/incus/unix.socket"];
    assertEquals(resolveSocket({ env: envOf({ LXD_SOCKET: lxd.path }), candidates }), {
      path: lxd.path,
      source: "LXD_SOCKET",
    });
    assertEquals(resolveSocket({ env: envOf({ LXD_DIR: dir }), candidates }), {
      path: `${dir}/unix.socket`,
      source: "LXD_DIR",
    });
    assertEquals(resolveSocket({ env: envOf({ INCUS_DIR: dir }), candidates }).source, "INCUS_DIR");
  });
});

Deno.test("resolveSocket: precedence — *_SOCKET over *_DIR in a family; Incus and LXD disagreeing is refused", async () => {
  await withFixtures(async ({ dir, other }) => {
    await using second = await FakeDaemon.start({ path: `${dir}/unix.socket` });
    // INCUS_SOCKET over INCUS_DIR, as the incus CLI reads them.
    assertEquals(
      resolveSocket({ env: envOf({ INCUS_SOCKET: other, INCUS_DIR: dir }) }),
      { path: other, source: "INCUS_SOCKET" },
    );
    const ambiguous = assertThrows(
      () => resolveSocket({ env: envOf({ INCUS_SOCKET: other, LXD_SOCKET: second.path }) }),
      ConnectionError,
    );
    assertStringIncludes(
      ambiguous.message,
      `INCUS_SOCKET (${other}) and LXD_SOCKET (${second.path}) name different daemons`,
    );
    assertStringIncludes(ambiguous.message, "unset the one you do not mean");
    const dirs = assertThrows(
      () => resolveSocket({ env: envOf({ INCUS_DIR: dir, LXD_SOCKET: other }) }),
      ConnectionError,
    );
    assertStringIncludes(dirs.message, "INCUS_DIR");
    // Both naming the same socket is no ambiguity.
    assertEquals(
      resolveSocket({ env: envOf({ INCUS_SOCKET: second.path, LXD_DIR: dir }) }).path,
      second.path,
    );
  });
});

Deno.test("resolveSocket: the default paths only when nothing is named; none found lists them", async () => {
  await withFixtures(({ dir, other, file }) => {
    const candidates = [`${dir}/none.socket`, file, other];
    assertEquals(resolveSocket({ env: envOf({}), candidates }), { path: other, source: "search" });
    const error = assertThrows(
      () => resolveSocket({ env: envOf({}), candidates: [`${dir}/a.socket`, file] }),
      ConnectionError,
    );
    assertStringIncludes(
      error.message,
      `no Incus or LXD socket found; tried ${dir}/a.socket, ${file}`,
    );
    assertStringIncludes(error.message, "connect({ socket })");
    assertEquals(socketCandidates(), [
      "/run/incus/unix.socket",
      "/var/lib/incus/unix.socket",
      "/var/snap/lxd/common/lxd/unix.socket",
      "/var/lib/lxd/unix.socket",
    ]);
    return Promise.resolve();
  });
});

Deno.test("resolveSocket: variables that may not be read are an error naming --allow-env, not skipped", () => {
  for (const denied of [SOCKET_VARIABLES, ["LXD_DIR"]]) {
    const error = assertThrows(
      () => resolveSocket({ env: envOf({}, denied), candidates: ["/tmp"] }),
      ConnectionError,
    );
    assertStringIncludes(error.message, `cannot read ${denied.join(", ")}`);
    assertStringIncludes(error.message, "--allow-env=INCUS_SOCKET,INCUS_DIR,LXD_SOCKET,LXD_DIR");
  }
});

Deno.test("connect(): INCUS_SOCKET naming a missing socket throws at once naming it, on any machine", () => {
  const saved = SOCKET_VARIABLES.map((name) => [name, Deno.env.get(name)] as const);
  try {
    for (const name of SOCKET_VARIABLES) Deno.env.delete(name);
    Deno.env.set("INCUS_SOCKET", "/tmp/incusops-nope.sock");
    const error = assertThrows(() => connect(), ConnectionError);
    assertStringIncludes(error.message, "/tmp/incusops-nope.sock named by INCUS_SOCKET");
    assertEquals(error.message.includes("/var/lib/incus"), false);
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) Deno.env.delete(name);
      else Deno.env.set(name, value);
    }
  }
});

Deno.test("connect() in a process without --allow-env: a ConnectionError naming the flag", async () => {
  const script = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(
      script,
      `import { connect } from ${JSON.stringify(new URL("mod.ts", ROOT).href)};
try { connect(); } catch (error) { console.log(error.name, error.message); }`,
    );
    const output = await spawnCli([], { script, flags: ["--allow-read"], inheritEnv: true });
    const stdout = output.stdout;
    assertEquals(output.code, 0, output.stderr);
    assertStringIncludes(stdout, "ConnectionError cannot read INCUS_SOCKET, INCUS_DIR");
    assertStringIncludes(stdout, "--allow-env=INCUS_SOCKET,INCUS_DIR,LXD_SOCKET,LXD_DIR");
  } finally {
    await Deno.remove(script);
  }
});
