/**
 * Waiting for idle CPUs before a measurement: on a shared machine, a round
 * started while something else is busy measures that, not the client.
 *
 * @module
 */

/** The busy and total jiffies of every CPU together (Linux `/proc/stat`). */
function cpuTimes(): { busy: number; total: number } | undefined {
  try {
    const line = Deno.readTextFileSync("/proc/stat").split("\n")[0];
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((sum, value) => sum + value, 0);
    const idle = fields[3] + (fields[4] ?? 0); // idle + iowait
    return { busy: total - idle, total };
  } catch {
    return undefined; // not Linux: no wait
  }
}

/** What {@linkcode waitForIdleCpus} saw. */
export interface IdleWait {
  /** Milliseconds waited. */
  waitedMs: number;
  /** Whether the CPUs were idle enough before `maxWaitMs` passed. */
  idle: boolean;
  /** The busy share (0–1, all CPUs) of the last sample. */
  busy: number;
}

/**
 * Waits until the machine's CPUs are at most `maxBusy` busy (all CPUs
 * together, sampled over `sampleMs`), or `maxWaitMs` passed.
 */
export async function waitForIdleCpus(
  { maxBusy = 0.15, sampleMs = 150, maxWaitMs = 10_000 } = {},
): Promise<IdleWait> {
  const started = performance.now();
  let busy = 0;
  for (;;) {
    const before = cpuTimes();
    if (before === undefined) return { waitedMs: 0, idle: true, busy: 0 };
    await new Promise((resolve) => setTimeout(resolve, sampleMs));
    const after = cpuTimes()!;
    busy = (after.busy - before.busy) / Math.max(1, after.total - before.total);
    const waitedMs = performance.now() - started;
    if (busy <= maxBusy) return { waitedMs, idle: true, busy };
    if (waitedMs >= maxWaitMs) return { waitedMs, idle: false, busy };
  }
}
