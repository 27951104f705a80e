/**
 * Remotes of the incus/lxc `config.yml`: parsed with @std/yaml, the folder
 * search (`INCUS_CONF` alone), certificate lookup (per-remote
 * `clientcerts/` first, pinned `servercerts/`), the errors that name the
 * fix, and hostile files (FIFO, `/dev/zero`, huge, deep, inherited names,
 * a redefined `local`). The CLI suites prove the same remotes end to end.
 */

import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import {
  configDirs,
  loadConfig,
  MAX_CONFIG_BYTES,
  resolveRemote,
} from "../../../src/incus/transport/remote.ts";
import { connect, ConnectionError, connectRemote, InvalidArgumentError } from "../../../mod.ts";
import { FakeDaemon } from "../../../src/testing/mod.ts";
import { scopedEnv } from "../../_env.ts";
import { spawnCli } from "../../_cli.ts";

const CONFIG = `# written by "incus remote add"
default-remote: prod
remotes:
  images:
    addr: https://images.linuxcontainers.org
    protocol: simplestreams
    public: true
  local:
    addr: unix://
    public: false
  prod:
    addr: "https://10.0.0.5:8443"   # the cluster
    protocol: incus
    project: 'web'
    public: false
  sock:
    addr: unix:///run/other/unix.socket
aliases: {}
`;

const ROOT = new URL("../../../", import.meta.url);

async function withDir(fn: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "incusops-remote-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** An environment of `values`; reading any name in `denied` fails as Deno does without --allow-env. */
function envOf(values: Record<string, string>, denied: string[] = []) {
  return (name: string) => {
    if (denied.includes(name)) throw new Deno.errors.NotCapable(`Requires env access to "${name}"`);
    return values[name];
  };
}

Deno.test("loadConfig: @std/yaml reads nested maps, comments, quotes, empty maps", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/config.yml`, CONFIG);
    const config = await loadConfig([dir]);
    assertEquals(config.dir, dir);
    assertEquals(config.defaultRemote, "prod");
    assertEquals({ ...config.remotes }, {
      images: {
        addr: "https://images.linuxcontainers.org",
        protocol: "simplestreams",
        project: undefined,
        public: true,
      },
      local: { addr: "unix://" },
      prod: { addr: "https://10.0.0.5:8443", protocol: "incus", project: "web", public: false },
      sock: {
        addr: "unix:///run/other/unix.socket",
        protocol: undefined,
        project: undefined,
        public: false,
      },
    });
  });
});

Deno.test("configDirs: INCUS_CONF alone (HOME not even read), else ~/.config/incus then ~/.config/lxc", () => {
  assertEquals(configDirs(envOf({ INCUS_CONF: "/conf" }, ["HOME"])), ["/conf"]);
  assertEquals(configDirs(envOf({ HOME: "/home/u" })), [
    "/home/u/.config/incus",
    "/home/u/.config/lxc",
  ]);
  assertEquals(configDirs(envOf({})), []);
  const denied = assertThrows(() => configDirs(envOf({}, ["INCUS_CONF"])), ConnectionError);
  assertStringIncludes(denied.message, "--allow-env=INCUS_CONF,HOME");
  const noHome = assertThrows(() => configDirs(envOf({}, ["HOME"])), ConnectionError);
  assertStringIncludes(noHome.message, "cannot read HOME");
});

Deno.test("loadConfig: the first folder with a config.yml; none = the built-in local remote", async () => {
  await withDir(async (dir) => {
    const none = await loadConfig([`${dir}/incus`, `${dir}/lxc`]);
    assertEquals(none.defaultRemote, "local");
    assertEquals({ ...none.remotes }, { local: { addr: "unix://" } });
    await Deno.mkdir(`${dir}/lxc`);
    await Deno.writeTextFile(`${dir}/lxc/config.yml`, "default-remote: fromlxc\n");
    assertEquals((await loadConfig([`${dir}/incus`, `${dir}/lxc`])).defaultRemote, "fromlxc");
    await Deno.mkdir(`${dir}/incus`);
    await Deno.writeTextFile(`${dir}/incus/config.yml`, "default-remote: fromincus\n");
    const config = await loadConfig([`${dir}/incus`, `${dir}/lxc`]);
    assertEquals([config.dir, config.defaultRemote], [`${dir}/incus`, "fromincus"]);
    assertEquals(Object.keys(config.remotes), ["local"], "the built-in local remote");
  });
});

Deno.test("resolveRemote: unix remotes, default remote, project, per-remote client certificate first", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/config.yml`, CONFIG);
    await Deno.mkdir(`${dir}/clientcerts`);
    await Deno.mkdir(`${dir}/servercerts`);
    await Deno.writeTextFile(`${dir}/client.crt`, "SHARED CRT");
    await Deno.writeTextFile(`${dir}/client.key`, "SHARED KEY");
    const config = await loadConfig([dir]);
    assertEquals(await resolveRemote("local", config), {
      name: "local",
      socket: undefined,
      project: undefined,
    });
    assertEquals((await resolveRemote("sock", config)).socket, "/run/other/unix.socket");
    const prod = await resolveRemote(undefined, config); // default-remote: prod
    assertEquals(prod.name, "prod");
    assertEquals(prod.url, "https://10.0.0.5:8443");
    assertEquals(prod.project, "web");
    assertEquals([prod.cert, prod.key, prod.serverCert], ["SHARED CRT", "SHARED KEY", undefined]);
    await Deno.writeTextFile(`${dir}/clientcerts/prod.crt`, "OWN CRT");
    await Deno.writeTextFile(`${dir}/clientcerts/prod.key`, "OWN KEY");
    await Deno.writeTextFile(`${dir}/servercerts/prod.crt`, "PINNED");
    const own = await resolveRemote("prod", config);
    assertEquals([own.cert, own.key, own.serverCert], ["OWN CRT", "OWN KEY", "PINNED"]);
  });
});

Deno.test("resolveRemote: unknown, image server, no client certificate, bad address: ConnectionErrors naming the fix", async () => {
  await withDir(async (dir) => {
    // One more remote, with an address that is neither unix:// nor https://.
    await Deno.writeTextFile(
      `${dir}/config.yml`,
      CONFIG.replace("aliases: {}\n", "  ftp:\n    addr: ftp://example\naliases: {}\n"),
    );
    const config = await loadConfig([dir]);
    const unknown = await assertRejects(() => resolveRemote("nope", config), ConnectionError);
    assertStringIncludes(unknown.message, `remote "nope": not in ${dir}/config.yml`);
    assertStringIncludes(unknown.message, "incus remote add");
    const images = await assertRejects(() => resolveRemote("images", config), ConnectionError);
    assertStringIncludes(images.message, "simplestreams");
    const noCert = await assertRejects(() => resolveRemote("prod", config), ConnectionError);
    assertStringIncludes(noCert.message, `${dir}/client.crt`);
    assertStringIncludes(noCert.message, "clientcerts/prod.crt");
    const ftp = await assertRejects(() => resolveRemote("ftp", config), ConnectionError);
    assertStringIncludes(ftp.message, "expected unix:// or https://");
  });
});

Deno.test("hostile config.yml: a FIFO and a symlink to /dev/zero are refused without being read", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/fifo`);
    const made = await new Deno.Command("mkfifo", { args: [`${dir}/fifo/config.yml`] }).output();
    assert(made.success, "mkfifo");
    const fifo = await assertRejects(() => loadConfig([`${dir}/fifo`]), ConnectionError);
    assertStringIncludes(fifo.message, `${dir}/fifo/config.yml: not a regular file (a FIFO)`);
    await Deno.mkdir(`${dir}/zero`);
    await Deno.symlink("/dev/zero", `${dir}/zero/config.yml`);
    const zero = await assertRejects(() => loadConfig([`${dir}/zero`]), ConnectionError);
    assertStringIncludes(zero.message, "not a regular file (a device or socket)");
    // A symlink to a regular file is fine (dotfile managers make those).
    await Deno.mkdir(`${dir}/link`);
    await Deno.writeTextFile(`${dir}/real.yml`, "default-remote: linked\n");
    await Deno.symlink(`${dir}/real.yml`, `${dir}/link/config.yml`);
    assertEquals((await loadConfig([`${dir}/link`])).defaultRemote, "linked");
  });
});

Deno.test("hostile config.yml: over the size cap refused; an 80 KB white-space line and deep nesting are linear", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/config.yml`, "#".repeat(MAX_CONFIG_BYTES + 1));
    const huge = await assertRejects(() => loadConfig([dir]), ConnectionError);
    assertStringIncludes(huge.message, `over the ${MAX_CONFIG_BYTES}-byte limit`);
    // The old reader's regular expressions took seconds on this line (quadratic).
    await Deno.writeTextFile(`${dir}/config.yml`, `remotes:\n  a:${" ".repeat(80_000)}x\n`);
    assertEquals(Object.keys((await loadConfig([dir])).remotes), ["local"], "a: x is no remote");
    await Deno.writeTextFile(
      `${dir}/config.yml`,
      `default-remote: spaced${" ".repeat(80_000)}\nremotes: {}\n`,
    );
    assertEquals((await loadConfig([dir])).defaultRemote, "spaced");
    // Nesting as deep as the cap allows parses; deeper flow nesting is an error naming the file.
    let nested = "";
    for (let depth = 0; nested.length < MAX_CONFIG_BYTES - 2_000; depth++) {
      nested += `${" ".repeat(depth)}k:\n`;
    }
    await Deno.writeTextFile(`${dir}/config.yml`, nested);
    assertEquals((await loadConfig([dir])).defaultRemote, "local", "719 levels parse");
    await Deno.writeTextFile(`${dir}/config.yml`, "[".repeat(100_000) + "]".repeat(100_000));
    const deep = await assertRejects(() => loadConfig([dir]), ConnectionError);
    assertStringIncludes(
      deep.message,
      `${dir}/config.yml: not a usable config.yml: nested too deeply`,
    );
  });
});

Deno.test("hostile config.yml: own names only (constructor, __proto__, toString); local stays the local socket", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/config.yml`,
      `default-remote: constructor\nremotes:\n  local:\n    addr: unix:///tmp/elsewhere.socket\n` +
        `    project: mine\n  __proto__:\n    addr: unix:///tmp/proto.socket\n`,
    );
    const config = await loadConfig([dir]);
    for (const name of ["constructor", "toString", "hasOwnProperty"]) {
      const error = await assertRejects(() => resolveRemote(name, config), ConnectionError);
      assertStringIncludes(error.message, `remote "${name}": not in ${dir}/config.yml`);
    }
    await assertRejects(() => resolveRemote(undefined, config), ConnectionError, "constructor");
    // Like the incus CLI, "local" cannot be pointed at another daemon; its project is kept.
    assertEquals(await resolveRemote("local", config), {
      name: "local",
      socket: undefined,
      project: "mine",
    });
    assertEquals((await resolveRemote("__proto__", config)).socket, "/tmp/proto.socket");
    assertEquals(Object.getPrototypeOf(config.remotes), null);
  });
});

Deno.test("connectRemote: a unix remote of INCUS_CONF reaches its daemon; connect({ remote }) says what replaced it", async () => {
  await using daemon = await FakeDaemon.start();
  await withDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/config.yml`,
      `remotes:\n  fake:\n    addr: unix://${daemon.path}\n`,
    );
    using _env = scopedEnv({ INCUS_CONF: dir });
    const op = daemon.createOperation();
    {
      await using client = await connectRemote("fake", { project: "default" });
      assertEquals(client.endpoint, daemon.path);
      assertEquals((await client.operations.list()).map((o) => o.id), [op.id]);
    }
    const missing = await assertRejects(() => connectRemote("missing"), ConnectionError);
    assertStringIncludes(missing.message, 'remote "missing"');
    const old = assertThrows(
      () => connect({ remote: "fake" } as Parameters<typeof connect>[0]),
      InvalidArgumentError,
    );
    assertStringIncludes(old.message, "connectRemote");
  });
});

/** Runs `code` (importing mod.ts) in a child with exactly `flags` and `env`. */
async function child(code: string, flags: string[], env: Record<string, string>) {
  const script = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(
      script,
      `import { connectRemote } from ${JSON.stringify(new URL("mod.ts", ROOT).href)};\n${code}`,
    );
    return await spawnCli([], { script, flags, env });
  } finally {
    await Deno.remove(script);
  }
}

Deno.test("connectRemote permissions: without --allow-env a clear error naming the flag; with INCUS_CONF, HOME is never read", async () => {
  await using daemon = await FakeDaemon.start();
  await withDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/config.yml`,
      `remotes:\n  fake:\n    addr: unix://${daemon.path}\n`,
    );
    const code = `try {
  await using client = await connectRemote("fake");
  console.log("ok", (await client.operations.list()).length);
} catch (error) {
  console.log(error.name, error.message);
}`;
    const env = { INCUS_CONF: dir };
    const net = `--allow-net=unix:${daemon.path},127.0.0.1:80`;
    const noEnv = await child(code, ["--allow-read", "--allow-write", net], env);
    assertEquals(noEnv.code, 0, noEnv.stderr);
    assertStringIncludes(noEnv.stdout, "ConnectionError cannot read INCUS_CONF");
    assertStringIncludes(noEnv.stdout, "--allow-env=INCUS_CONF,HOME");
    // Only INCUS_CONF may be read (no HOME at all): enough.
    const onlyConf = await child(code, [
      "--allow-env=INCUS_CONF",
      "--allow-read",
      "--allow-write",
      net,
    ], env);
    assertEquals(onlyConf.stdout.trim(), "ok 0", onlyConf.stderr);
    // config.yml not readable: the error names the --allow-read to add.
    const noRead = await child(code, [
      "--allow-env=INCUS_CONF",
      `--allow-read=${daemon.path}`,
      `--allow-write=${daemon.path}`,
      net,
    ], env);
    assertStringIncludes(noRead.stdout, `ConnectionError ${dir}/config.yml: Deno may not read it`);
    assertStringIncludes(noRead.stdout, `--allow-read=${dir}/config.yml`);
  });
});
