/**
 * `deno install -g` is the documented way to put `incusops` on PATH
 * (`deno compile` needs a runtime download this machine cannot make):
 * installed offline from this checkout with the offline import map into a
 * temporary root, the shim runs --version, list and a usage error on the
 * fake daemon.
 */

import { assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { FakeDaemon } from "../../src/testing/mod.ts";
import { DENO_DIR, MAIN, MAP } from "../_cli.ts";

Deno.test("deno install -g puts a working incusops on PATH, offline from a local path", async () => {
  const root = await Deno.makeTempDir({ prefix: "incusops-install-" });
  try {
    const denoDir = Deno.execPath().replace(/\/[^/]+$/, "");
    const PATH = `${root}/bin:${denoDir}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`;
    const install = await new Deno.Command(Deno.execPath(), {
      args: [
        "install",
        "-g",
        "-A",
        "-f",
        "--root",
        root,
        "--import-map",
        MAP,
        "-n",
        "incusops",
        MAIN,
      ],
      env: { DENO_DIR, PATH },
      clearEnv: true,
      stdin: "null",
    }).output();
    assertEquals(install.code, 0, new TextDecoder().decode(install.stderr));
    await using daemon = await FakeDaemon.start();
    const op = daemon.createOperation({ description: "Installed" });
    const incusops = async (...args: string[]) => {
      // By name, through PATH, as a user would run it.
      const output = await new Deno.Command("incusops", {
        args,
        env: { DENO_DIR, PATH, INCUS_SOCKET: daemon.path },
        clearEnv: true,
        stdin: "null",
      }).output();
      const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
      return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
    };
    const version = await incusops("--version");
    assertEquals(version.code, 0, version.stderr);
    assertMatch(version.stdout, /^incusops \d+\.\d+\.\d+\n$/);
    const listed = await incusops("list", "--format", "json");
    assertEquals(listed.code, 0, listed.stderr);
    assertEquals(JSON.parse(listed.stdout).map((o: { id: string }) => o.id), [op.id]);
    const usage = await incusops("wait", op.id, "--timeout", "5");
    assertEquals(usage.code, 2);
    assertStringIncludes(usage.stderr, "needs a unit");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
