/**
 * Remotes of the incus/lxc `config.yml`: the YAML subset reader, the
 * folder search order, certificate lookup (per-remote `clientcerts/`
 * first, pinned `servercerts/`), and the errors that name the fix. The
 * CLI suites prove the same remotes end to end (Unix and HTTPS).
 */

import { assertEquals, assertInstanceOf, assertStringIncludes, assertThrows } from "@std/assert";
import {
  configDirs,
  loadConfig,
  parseSimpleYaml,
  resolveRemote,
} from "../../../src/incus/transport/remote.ts";
import { connect, ConnectionError } from "../../../mod.ts";
import { scopedEnv } from "../../_env.ts";

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

async function withDir(fn: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "incusops-remote-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("parseSimpleYaml: nested maps, comments, quotes, empty maps", () => {
  const tree = parseSimpleYaml(CONFIG);
  assertEquals(tree["default-remote"], "prod");
  assertEquals(tree.aliases, {});
  assertEquals(tree.remotes, {
    images: {
      addr: "https://images.linuxcontainers.org",
      protocol: "simplestreams",
      public: "true",
    },
    local: { addr: "unix://", public: "false" },
    prod: { addr: "https://10.0.0.5:8443", protocol: "incus", project: "web", public: "false" },
    sock: { addr: "unix:///run/other/unix.socket" },
  });
});

Deno.test("loadConfig: INCUS_CONF first, then ~/.config/incus, then ~/.config/lxc; none = local only", async () => {
  await withDir(async (dir) => {
    using _env = scopedEnv({ INCUS_CONF: `${dir}/conf`, HOME: dir });
    assertEquals(configDirs(), [`${dir}/conf`, `${dir}/.config/incus`, `${dir}/.config/lxc`]);
    const none = loadConfig();
    assertEquals(none.defaultRemote, "local");
    assertEquals(none.remotes, { local: { addr: "unix://" } });
    await Deno.mkdir(`${dir}/.config/lxc`, { recursive: true });
    await Deno.writeTextFile(`${dir}/.config/lxc/config.yml`, "default-remote: fromlxc\n");
    assertEquals(loadConfig().defaultRemote, "fromlxc");
    await Deno.mkdir(`${dir}/.config/incus`, { recursive: true });
    await Deno.writeTextFile(`${dir}/.config/incus/config.yml`, CONFIG);
    assertEquals(loadConfig().dir, `${dir}/.config/incus`);
    await Deno.mkdir(`${dir}/conf`);
    await Deno.writeTextFile(`${dir}/conf/config.yml`, "default-remote: fromconf\n");
    const config = loadConfig();
    assertEquals(config.dir, `${dir}/conf`);
    assertEquals(config.defaultRemote, "fromconf");
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
    const config = loadConfig([dir]);
    assertEquals(resolveRemote("local", config), {
      name: "local",
      socket: undefined,
      project: undefined,
    });
    assertEquals(resolveRemote("sock", config).socket, "/run/other/unix.socket");
    const prod = resolveRemote(undefined, config); // default-remote: prod
    assertEquals(prod.name, "prod");
    assertEquals(prod.url, "https://10.0.0.5:8443");
    assertEquals(prod.project, "web");
    assertEquals([prod.cert, prod.key, prod.serverCert], ["SHARED CRT", "SHARED KEY", undefined]);
    await Deno.writeTextFile(`${dir}/clientcerts/prod.crt`, "OWN CRT");
    await Deno.writeTextFile(`${dir}/clientcerts/prod.key`, "OWN KEY");
    await Deno.writeTextFile(`${dir}/servercerts/prod.crt`, "PINNED");
    const own = resolveRemote("prod", config);
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
    const config = loadConfig([dir]);
    const unknown = assertThrows(() => resolveRemote("nope", config), ConnectionError);
    assertStringIncludes(unknown.message, `remote "nope": not in ${dir}/config.yml`);
    assertStringIncludes(unknown.message, "incus remote add");
    assertStringIncludes(
      assertThrows(() => resolveRemote("images", config), ConnectionError).message,
      "simplestreams",
    );
    const noCert = assertThrows(() => resolveRemote("prod", config), ConnectionError);
    assertStringIncludes(noCert.message, `${dir}/client.crt`);
    assertStringIncludes(noCert.message, "clientcerts/prod.crt");
    assertStringIncludes(
      assertThrows(() => resolveRemote("ftp", config), ConnectionError).message,
      "expected unix:// or https://",
    );
  });
});

Deno.test("connect({ remote }): an unknown remote throws before any connection exists", async () => {
  await withDir((dir) => {
    using _env = scopedEnv({ INCUS_CONF: dir });
    const error = assertThrows(() => connect({ remote: "missing" }));
    assertInstanceOf(error, ConnectionError);
    assertStringIncludes(error.message, 'remote "missing"');
  });
});
