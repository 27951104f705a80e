import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { InvalidArgumentError } from "../../src/core/errors.ts";
import {
  DEFAULT_RETRY,
  resolveRetry,
  type RetryInfo,
  retrying,
  type RetryPolicy,
} from "../../src/core/retry.ts";

class Transient extends Error {}
class Permanent extends Error {}

const FAST: RetryPolicy = {
  initial: 1,
  multiplier: 2,
  max: 4,
  deadline: 10_000,
  jitter: false,
  predicate: (error) => error instanceof Transient,
};

/** A function failing with `errors` in turn, then resolving with "ok". */
function flaky(errors: unknown[]) {
  const calls: number[] = [];
  const fn = (context: { attempt: number }) => {
    calls.push(context.attempt);
    const error = errors.shift();
    return error === undefined ? Promise.resolve("ok") : Promise.reject(error);
  };
  return { fn, calls };
}

Deno.test("retrying: transient errors are retried until success, attempts counted", async () => {
  const { fn, calls } = flaky([new Transient(), new Transient()]);
  const seen: RetryInfo[] = [];
  assertEquals(await retrying(fn, { ...FAST, onRetry: (info) => seen.push(info) }), "ok");
  assertEquals(calls, [0, 1, 2]);
  assertEquals(seen.map((info) => [info.attempt, info.delay]), [[0, 1], [1, 2]]);
});

Deno.test("retrying: an error the predicate refuses is thrown at once, unwrapped", async () => {
  const permanent = new Permanent("no");
  const { fn, calls } = flaky([permanent]);
  const error = await assertRejects(() => retrying(fn, FAST));
  assert(error === permanent);
  assertEquals(calls, [0]);
});

Deno.test("retrying: false calls once", async () => {
  const transient = new Transient();
  const { fn, calls } = flaky([transient]);
  const error = await assertRejects(() => retrying(fn, false));
  assert(error === transient);
  assertEquals(calls, [0]);
});

Deno.test("retrying: maxAttempts bounds the attempts; the last error is thrown", async () => {
  const errors = [new Transient("1"), new Transient("2"), new Transient("3")];
  const { fn, calls } = flaky([...errors]);
  const error = await assertRejects(() => retrying(fn, { ...FAST, maxAttempts: 2 }));
  assert(error === errors[1]);
  assertEquals(calls, [0, 1]);
});

Deno.test("retrying: no retry whose pause would end past the deadline", async () => {
  const errors = [new Transient("1"), new Transient("2")];
  const { fn, calls } = flaky([...errors]);
  // The first pause (initial) is already longer than the budget.
  const error = await assertRejects(() =>
    retrying(fn, { ...FAST, initial: 50, max: 50, deadline: 10 })
  );
  assert(error === errors[0]);
  assertEquals(calls, [0]);
});

Deno.test("retrying: the signal aborts a pause with its reason", async () => {
  const controller = new AbortController();
  const reason = new Error("stop");
  const policy = {
    ...FAST,
    initial: 60_000,
    max: 60_000,
    deadline: Infinity,
    onRetry: () => controller.abort(reason),
  };
  const error = await assertRejects(() =>
    retrying(() => Promise.reject(new Transient()), policy, { signal: controller.signal })
  );
  assert(error === reason);
});

Deno.test("retrying: timeout bounds the whole call with a TimeoutError", async () => {
  const policy = { ...FAST, initial: 60_000, max: 60_000, deadline: Infinity };
  const error = await assertRejects(
    () => retrying(() => Promise.reject(new Transient()), policy, { timeout: 20 }),
    DOMException,
  );
  assertEquals(error.name, "TimeoutError");
});

Deno.test("retrying: the attempt's signal aborts when the timeout passes", async () => {
  let aborted = false;
  const error = await assertRejects(
    () =>
      retrying(
        ({ signal }) =>
          new Promise((_, reject) => {
            signal.addEventListener("abort", () => {
              aborted = true;
              reject(new Transient("aborted attempt"));
            });
          }),
        FAST,
        { timeout: 10, timeoutMessage: "took too long" },
      ),
    DOMException,
    "took too long",
  );
  assertEquals(error.name, "TimeoutError");
  assert(aborted);
});

Deno.test("resolveRetry: overrides in order; false disables; an object re-enables", () => {
  const base = { ...DEFAULT_RETRY, predicate: () => true };
  assertEquals(resolveRetry(base), base);
  assertEquals(resolveRetry(base, false), false);
  assertEquals(resolveRetry(base, undefined, false), false);
  const back = resolveRetry(base, false, { deadline: 5 });
  if (back === false) throw new Error("expected a policy");
  assertEquals(back.deadline, 5);
  assertEquals(back.initial, 100);
  assertEquals(back.multiplier, 1.3);
  assertEquals(back.max, 60_000);
  assertEquals(DEFAULT_RETRY.deadline, 600_000);
});

Deno.test("resolveRetry: bad fields are InvalidArgumentErrors", () => {
  const base = { ...DEFAULT_RETRY, predicate: () => true };
  const bad: unknown[] = [
    { initial: -1 },
    { max: NaN },
    { multiplier: 0.5 },
    { deadline: -5 },
    { maxAttempts: 0 },
    { maxAttempts: 1.5 },
    { predicate: "yes" },
    "often",
    null,
  ];
  for (const override of bad) {
    assertThrows(
      () => resolveRetry(base, override as Partial<RetryPolicy>),
      InvalidArgumentError,
      "retry",
    );
  }
});
