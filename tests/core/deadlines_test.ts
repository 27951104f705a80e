import { assert, assertEquals } from "@std/assert";
import { Deadlines, timeLimit } from "../../src/core/deadlines.ts";
import { pause } from "../../src/core/pause.ts";
import { ManualClock } from "../_clock.ts";

Deno.test("deadlines expire in order on one timer, cleared ones never", () => {
  const clock = new ManualClock();
  const deadlines = new Deadlines(clock);
  const fired: string[] = [];
  deadlines.add(80, () => fired.push("late"));
  const cleared = deadlines.add(20, () => fired.push("cleared"));
  deadlines.add(40, () => fired.push("early")); // later than the armed one: no re-arm
  deadlines.add(10, () => fired.push("earliest")); // earlier: re-arms
  deadlines.clear(cleared);
  assertEquals(clock.alarms, [80, 20, 10]);
  clock.advance(9);
  assertEquals(fired, []);
  clock.advance(1);
  assertEquals(fired, ["earliest"]);
  clock.advance(30);
  assertEquals(fired, ["earliest", "early"]);
  clock.advance(60);
  assertEquals(fired, ["earliest", "early", "late"]);
  assertEquals(clock.armed, 0, "nothing pending, no alarm left");
  deadlines.close();
});

Deno.test("a deadline added after the timer went idle is armed again", () => {
  const clock = new ManualClock();
  const deadlines = new Deadlines(clock);
  const fired: number[] = [];
  deadlines.add(5, () => fired.push(1));
  clock.advance(30);
  deadlines.add(5, () => fired.push(2));
  clock.advance(30);
  assertEquals(fired, [1, 2]);
  deadlines.close();
});

Deno.test("close() stops the timer and forgets every deadline", () => {
  const clock = new ManualClock();
  const deadlines = new Deadlines(clock);
  let fired = false;
  deadlines.add(10, () => fired = true);
  assertEquals(clock.armed, 1);
  deadlines.close();
  assertEquals(clock.armed, 0);
  clock.advance(30);
  assertEquals(fired, false);
});

Deno.test("a deadline beyond the timer range is accepted and does not fire early", () => {
  const clock = new ManualClock();
  const deadlines = new Deadlines(clock);
  let fired = false;
  const far = deadlines.add(2 ** 53, () => fired = true);
  clock.advance(2 ** 32);
  assertEquals(fired, false);
  deadlines.clear(far);
  deadlines.close();
});

Deno.test("requests one after the other share one alarm (no timer per request)", () => {
  const clock = new ManualClock();
  const deadlines = new Deadlines(clock);
  for (let i = 0; i < 1_000; i++) deadlines.clear(deadlines.add(60_000, () => {}));
  assertEquals(clock.alarms.length, 1);
  // An earlier deadline still needs (and gets) an earlier alarm, in place of the other.
  deadlines.clear(deadlines.add(10, () => {}));
  assertEquals(clock.alarms.length, 2);
  assertEquals(clock.armed, 1, "the later alarm was silenced");
  deadlines.close();
});

Deno.test("an alarm that goes off with nothing pending is not re-armed; the next deadline arms one", () => {
  const clock = new ManualClock();
  const deadlines = new Deadlines(clock);
  deadlines.clear(deadlines.add(5, () => {})); // the alarm at +5 ms stays armed
  clock.advance(30); // it goes off with nothing to expire
  assertEquals(clock.armed, 0);
  let fired = false;
  deadlines.add(5, () => fired = true);
  assertEquals(clock.alarms, [5, 5]);
  clock.advance(5);
  assertEquals(fired, true);
  deadlines.close();
});

Deno.test("the system clock: a real deadline fires", async () => {
  const deadlines = new Deadlines();
  const fired = Promise.withResolvers<void>();
  // What a deadline guards keeps the process alive, not the deadline: here a timer.
  const inFlight = setTimeout(() => fired.reject(new Error("the deadline never fired")), 60_000);
  deadlines.add(1, fired.resolve);
  await fired.promise;
  clearTimeout(inFlight);
  deadlines.close();
});

Deno.test("an alarm does not keep a process alive, even with a deadline pending", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { Deadlines } from ${
        JSON.stringify(new URL("../../src/core/deadlines.ts", import.meta.url).href)
      };
       const d = new Deadlines();
       for (let i = 0; i < 10; i++) d.clear(d.add(600_000, () => {}));
       d.add(600_000, () => {}); // pending, but nothing in flight to guard`,
    ],
    stdout: "null",
    stderr: "piped",
  });
  const started = performance.now();
  const { success, stderr } = await child.output();
  assertEquals(success, true, new TextDecoder().decode(stderr));
  // A ref'd alarm would hold the process for 10 minutes.
  assert(performance.now() - started < 300_000, "the process waited for its idle alarm");
});

Deno.test("timeLimit: aborts its signal with a TimeoutError at its time; clear() silences it", () => {
  const clock = new ManualClock();
  const limit = timeLimit(100, { clock, message: "too slow" });
  assertEquals([limit.ms, limit.left()], [100, 100]);
  clock.advance(99);
  assertEquals([limit.signal.aborted, limit.left()], [false, 1]);
  clock.advance(1);
  assertEquals(limit.signal.reason.name, "TimeoutError");
  assertEquals(limit.signal.reason.message, "too slow");
  assertEquals(limit.left(), 0);
  const cleared = timeLimit(10, { clock });
  cleared.clear();
  clock.advance(20);
  assertEquals([cleared.signal.aborted, clock.armed], [false, 0]);
});

Deno.test("pause runs on the clock it is given", async () => {
  const clock = new ManualClock();
  let done = false;
  const paused = pause(500, undefined, clock).then(() => done = true);
  clock.advance(499);
  await Promise.resolve();
  assertEquals(done, false);
  clock.advance(1);
  await paused;
  assertEquals(clock.armed, 0);
});
