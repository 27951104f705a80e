import { assert, assertEquals } from "@std/assert";
import { type Clock, Deadlines } from "../../src/core/deadlines.ts";

/**
 * A clock that moves only when told: `advance()` sets the alarms that fall
 * due off in order, synchronously, so no test depends on real time.
 */
class ManualClock implements Clock {
  time = 0;
  /** Every alarm asked for, with its length. */
  readonly alarms: number[] = [];
  readonly #pending: { at: number; controller: AbortController; listeners: number }[] = [];

  now(): number {
    return this.time;
  }

  alarm(ms: number): AbortSignal {
    this.alarms.push(ms);
    const pending = { at: this.time + ms, controller: new AbortController(), listeners: 0 };
    this.#pending.push(pending);
    const signal = pending.controller.signal;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = (...args: Parameters<typeof add>) => {
      pending.listeners++;
      add(...args);
    };
    signal.removeEventListener = (...args: Parameters<typeof remove>) => {
      pending.listeners--;
      remove(...args);
    };
    return signal;
  }

  /** How many listeners the alarms not yet gone off have (a listened alarm holds a process). */
  get listeners(): number {
    return this.#pending.reduce((sum, alarm) => sum + alarm.listeners, 0);
  }

  /** Moves the time `ms` forward, setting off each alarm due on the way at its own time. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = this.#pending.filter((alarm) => alarm.at <= end)
        .sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.#pending.splice(this.#pending.indexOf(due), 1);
      this.time = Math.max(this.time, due.at);
      due.controller.abort();
    }
    this.time = end;
  }
}

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
  assertEquals(clock.listeners, 0, "nothing pending, nothing listened to");
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
  assertEquals(clock.listeners, 1);
  deadlines.close();
  assertEquals(clock.listeners, 0);
  clock.advance(30);
  assertEquals(fired, false);
});

Deno.test("a deadline beyond the timer range is accepted and does not fire early", () => {
  const clock = new ManualClock();
  const deadlines = new Deadlines(clock);
  let fired = false;
  const far = deadlines.add(2 ** 53, () => fired = true);
  // The alarm is capped at the timer range; going off early re-arms for what is left.
  assertEquals(clock.alarms, [2 ** 31 - 1]);
  clock.advance(2 ** 32);
  assertEquals(fired, false);
  assertEquals(clock.alarms.length, 3);
  assert(clock.alarms.every((ms) => ms <= 2 ** 31 - 1), String(clock.alarms));
  deadlines.clear(far);
  deadlines.close();
});

Deno.test("requests one after the other share one alarm (no timer per request)", () => {
  const clock = new ManualClock();
  const deadlines = new Deadlines(clock);
  for (let i = 0; i < 1_000; i++) deadlines.clear(deadlines.add(60_000, () => {}));
  assertEquals(clock.alarms.length, 1);
  assertEquals(clock.listeners, 0, "the idle alarm is not listened to");
  // An earlier deadline still needs (and gets) an earlier alarm.
  deadlines.clear(deadlines.add(10, () => {}));
  assertEquals(clock.alarms.length, 2);
  deadlines.close();
});

Deno.test("an idle alarm that went off unheard is replaced, and the next deadline still fires", () => {
  const clock = new ManualClock();
  const deadlines = new Deadlines(clock);
  deadlines.clear(deadlines.add(5, () => {})); // idle alarm at +5 ms, not listened to
  clock.advance(30); // it goes off into nothing
  let fired = false;
  deadlines.add(5, () => fired = true);
  assertEquals(clock.alarms, [5, 5], "a new alarm, not the spent one");
  clock.advance(5);
  assertEquals(fired, true);
  deadlines.close();
});

Deno.test("the system clock: a real deadline fires", async () => {
  const deadlines = new Deadlines();
  const fired = Promise.withResolvers<void>();
  deadlines.add(1, fired.resolve);
  await fired.promise; // hangs (and the test runner reports it) if it never fires
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
       for (let i = 0; i < 10; i++) d.clear(d.add(600_000, () => {}));`,
    ],
    stdout: "null",
    stderr: "piped",
  });
  const started = performance.now();
  const { success, stderr } = await child.output();
  assertEquals(success, true, new TextDecoder().decode(stderr));
  // A listened alarm would hold the process for 10 minutes.
  assert(performance.now() - started < 300_000, "the process waited for its idle alarm");
});
