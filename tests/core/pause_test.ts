import { assert, assertEquals, assertRejects } from "@std/assert";
import { pause } from "../../src/core/pause.ts";

Deno.test("pause resolves after its time", async () => {
  const started = performance.now();
  await pause(30);
  assert(performance.now() - started >= 25, "resolved early");
});

Deno.test("pause rejects with the signal's reason, at once when already aborted", async () => {
  const reason = new Error("stop");
  await assertRejects(() => pause(60_000, AbortSignal.abort(reason)), Error, "stop");
  const controller = new AbortController();
  const started = performance.now();
  const paused = pause(60_000, controller.signal);
  setTimeout(() => controller.abort(reason), 10);
  assertEquals(await paused.catch((error) => error), reason);
  assert(performance.now() - started < 5_000, "the abort did not end the pause");
});

Deno.test("pause: a negative, fractional or huge time is clamped, not thrown", async () => {
  await pause(-5);
  await pause(0.4);
  const controller = new AbortController();
  const huge = pause(2 ** 40, controller.signal);
  let settled = false;
  huge.then(() => settled = true, () => settled = true);
  await pause(20);
  assertEquals(settled, false, "a huge pause ended at once (timer overflow)");
  controller.abort(new Error("done"));
  await assertRejects(() => huge, Error, "done");
});

Deno.test("an aborted pause does not keep the process alive", async () => {
  const module = JSON.stringify(new URL("../../src/core/pause.ts", import.meta.url).href);
  const started = performance.now();
  const { success, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { pause } from ${module};
       const c = new AbortController();
       const p = pause(60_000, c.signal).catch(() => {});
       c.abort(); await p;`,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  assertEquals(success, true, new TextDecoder().decode(stderr));
  // A 60 s alarm still listened to would hold the process for a minute.
  assert(performance.now() - started < 30_000, "the process waited for the alarm");
});
