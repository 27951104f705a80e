/**
 * Fault matrix case 2: the socket exists but the user may not use it. A
 * client run as `nobody` gets a ConnectionError naming the socket and the
 * fix (join the incus-admin/lxd group, or run as root); the CLI with
 * INCUS_SOCKET in a folder it may not enter exits 4 naming that socket.
 */

import { assertEquals, assertStringIncludes } from "@std/assert";
import { fake } from "../_fake.ts";
import { DENO_DIR, MAIN, MAP } from "../_cli.ts";

const ROOT = new URL("../../", import.meta.url);
const NOBODY = "65534";

/** A copy of the module cache `nobody` can read (the runtime's own is under /root). */
async function readableCache(dir: string): Promise<string> {
  const cache = `${dir}/deno-dir`;
  await new Deno.Command("cp", { args: ["-r", DENO_DIR, cache] }).output();
  await new Deno.Command("chmod", { args: ["-R", "a+rwX", dir] }).output();
  return cache;
}

/**
 * Runs `script args` with Deno as `nobody` (no groups), with exactly `env`
 * (and PATH) and the offline import map.
 */
function runAsNobody(script: string, args: string[], env: Record<string, string>) {
  return new Deno.Command("setpriv", {
    args: [
      `--reuid=${NOBODY}`,
      `--regid=${NOBODY}`,
      "--clear-groups",
      Deno.execPath(),
      "run",
      "-A",
      "--no-config",
      "--cached-only",
      "--import-map",
      MAP,
      script,
      ...args,
    ],
    env: { ...env, PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
    clearEnv: true,
  }).output();
}

Deno.test("8.2 socket exists but permission denied (run as nobody): ConnectionError with the fix", async () => {
  if (Deno.uid() !== 0) throw new Error("this case needs root, to run a client as nobody");
  const dir = await Deno.makeTempDir({ prefix: "incusops-perm-" });
  try {
    await using t = await fake({ path: `${dir}/unix.socket` });
    const { daemon } = t;
    const script = `${dir}/probe.ts`;
    await Deno.writeTextFile(
      script,
      `import { connect } from ${JSON.stringify(new URL("mod.ts", ROOT).href)};
await using client = connect({ socket: ${JSON.stringify(daemon.path)} });
try {
  await client.operations.list();
  console.log(JSON.stringify({ name: "none" }));
} catch (error) {
  console.log(JSON.stringify({ name: error.name, message: error.message }));
}`,
    );
    const cache = await readableCache(dir);
    await Deno.chmod(daemon.path, 0o600); // root's only (after the cache was made readable)
    const { stdout, stderr, code } = await runAsNobody(script, [], { DENO_DIR: cache, HOME: dir });
    assertEquals(code, 0, new TextDecoder().decode(stderr));
    const result = JSON.parse(new TextDecoder().decode(stdout).trim());
    assertEquals(result.name, "ConnectionError");
    assertStringIncludes(result.message, daemon.path);
    assertStringIncludes(result.message, "permission denied");
    assertStringIncludes(result.message, "incus-admin");
    assertEquals(daemon.requests.length, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("8.2b INCUS_SOCKET in a folder nobody may enter: the CLI exits 4 naming it, no other socket tried", async () => {
  if (Deno.uid() !== 0) throw new Error("this case needs root, to run a client as nobody");
  const dir = await Deno.makeTempDir({ prefix: "incusops-perm-cli-" });
  try {
    await Deno.mkdir(`${dir}/locked`);
    await using t = await fake({ path: `${dir}/locked/unix.socket` });
    const { daemon } = t;
    const cache = await readableCache(dir);
    await Deno.chmod(`${dir}/locked`, 0o700); // root's only (after the cache was made readable)
    const { stdout, stderr, code } = await runAsNobody(MAIN, ["list"], {
      DENO_DIR: cache,
      INCUS_SOCKET: daemon.path,
    });
    const text = new TextDecoder().decode(stderr);
    assertEquals(code, 4, text);
    assertEquals(new TextDecoder().decode(stdout), "");
    assertStringIncludes(text, `${daemon.path} named by INCUS_SOCKET`);
    assertStringIncludes(text, "cannot be entered");
    assertEquals(daemon.requests.length, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
