import { assertEquals } from "@std/assert";
import { delay } from "@std/async/delay";
import { Deadlines } from "../../src/deadlines.ts";

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
