/** Environment variables for the length of a test. */

/**
 * Sets each variable given a string and removes each given `undefined`;
 * disposing puts back what was there before.
 *
 * ```ts
 * using _env = scopedEnv({ INCUS_SOCKET: "/tmp/x.socket", INCUS_DIR: undefined });
 * ```
 */
export function scopedEnv(values: Record<string, string | undefined>): Disposable {
  const saved = Object.keys(values).map((name) => [name, Deno.env.get(name)] as const);
  const apply = (entries: Iterable<readonly [string, string | undefined]>) => {
    for (const [name, value] of entries) {
      if (value === undefined) Deno.env.delete(name);
      else Deno.env.set(name, value);
    }
  };
  apply(Object.entries(values));
  return { [Symbol.dispose]: () => apply(saved) };
}
