import { assertEquals } from "@std/assert";
import { delay } from "@std/async/delay";
import { Deadlines } from "../../src/core/deadlines.ts";

Deno.test("deadlines expire in order on one timer, cleared ones never", async () => {
  const deadlines = new Deadlines();
  const fired: string[] = [];
  deadlines.add(80, () => fired.push("late"));
  const cleared = deadlines.add(20, () => fired.push("cleared"));
  deadlines.add(40, () => fired.push("early")); // later than the armed one: no re-arm
  deadlines.add(10, () => fired.push("earliest")); // earlier: re-arms
  deadlines.clear(cleared);
  await delay(150);
  assertEquals(fired, ["earliest", "early", "late"]);
  deadlines.close();
});

Deno.test("a deadline added after the timer went idle is armed again", async () => {
  const deadlines = new Deadlines();
  const fired: number[] = [];
  deadlines.add(5, () => fired.push(1));
  await delay(30);
  deadlines.add(5, () => fired.push(2));
  await delay(30);
  assertEquals(fired, [1, 2]);
  deadlines.close();
});

Deno.test("close() stops the timer and forgets every deadline", async () => {
  const deadlines = new Deadlines();
  let fired = false;
  deadlines.add(10, () => fired = true);
  deadlines.close();
  await delay(30);
  assertEquals(fired, false);
});

Deno.test("a deadline beyond the timer range is accepted and does not fire early", async () => {
  const deadlines = new Deadlines();
  let fired = false;
  const far = deadlines.add(2 ** 53, () => fired = true);
  await delay(20);
  assertEquals(fired, false);
  deadlines.clear(far);
  deadlines.close();
});

Deno.test("requests one after the other share one alarm (no timer per request)", () => {
  const original = AbortSignal.timeout;
  let alarms = 0;
  AbortSignal.timeout = (ms: number) => {
    alarms++;
    return original.call(AbortSignal, ms);
  };
  try {
    const deadlines = new Deadlines();
    for (let i = 0; i < 1_000; i++) deadlines.clear(deadlines.add(60_000, () => {}));
    assertEquals(alarms, 1);
    // An earlier deadline still needs (and gets) an earlier alarm.
    deadlines.clear(deadlines.add(10, () => {}));
    assertEquals(alarms, 2);
    deadlines.close();
  } finally {
    AbortSignal.timeout = original;
  }
});

Deno.test("an idle alarm that went off unheard is replaced, and the next deadline still fires", async () => {
  const deadlines = new Deadlines();
  deadlines.clear(deadlines.add(5, () => {})); // idle alarm at +5 ms, not listened to
  await delay(30); // it goes off into nothing
  let fired = false;
  deadlines.add(5, () => fired = true);
  await delay(40);
  assertEquals(fired, true);
  deadlines.close();
});

Deno.test("an idle alarm does not keep a process alive", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { Deadlines } from ${
        JSON.stringify(new URL("../../src/core/deadlines.ts", import.meta.url).href)
      };
       const d = new Deadlines();
       for (let i = 0; i < 10; i++) d.clear(d.add(60_000, () => {}));`,
    ],
    stdout: "null",
    stderr: "piped",
  });
  const started = performance.now();
  const { success, stderr } = await child.output();
  assertEquals(success, true, new TextDecoder().decode(stderr));
  // A listened alarm would hold the process for 60 s.
  assertEquals(performance.now() - started < 30_000, true);
});
