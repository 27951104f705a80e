/**
 * Each default of the Incus client is written once, in `INCUS_DEFAULTS`:
 * every numeric `@default` tag of the public options (as `deno doc --json`
 * reads them) equals the object's value, and every value of the object is
 * stated by a tag.
 */

import { assert, assertEquals } from "@std/assert";
import { INCUS_DEFAULTS } from "../../src/incus/defaults.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/** Which part of the object each options type's defaults live in. */
const SECTIONS: Record<string, Record<string, unknown>> = {
  ConnectOptions: INCUS_DEFAULTS,
  WaitOptions: INCUS_DEFAULTS,
  WatchOptions: INCUS_DEFAULTS,
  EventsOptions: INCUS_DEFAULTS,
  QueueLimits: INCUS_DEFAULTS,
  HubSettings: INCUS_DEFAULTS.events,
  FleetOptions: INCUS_DEFAULTS.fleet,
  ListFleetOptions: INCUS_DEFAULTS.listFleet,
};

Deno.test("every numeric @default of the options is INCUS_DEFAULTS' value, and each value has its tag", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", "--import-map", ".ci/offline-imports.json", "mod.ts"],
    cwd: new URL("../../", import.meta.url),
  }).output();
  assert(output.success, "deno doc --json failed");
  const doc = JSON.parse(new TextDecoder().decode(output.stdout));
  const stated = new Set<Record<string, unknown>>();
  const problems: string[] = [];
  const tagged = new Map<Record<string, unknown>, Set<string>>();
  for (const module of Object.values(doc.nodes) as Json[]) {
    for (const symbol of module.symbols) {
      const section = SECTIONS[symbol.name];
      const declaration = symbol.declarations[0];
      if (section === undefined || declaration.kind !== "interface" || stated.has(symbol)) continue;
      stated.add(symbol);
      for (const property of declaration.def.properties ?? []) {
        const tag = property.jsDoc?.tags?.find((t: Json) => t.kind === "default")?.value;
        const value = /^\{?([\d_.]+)\}?(?:\s|$)/.exec(tag ?? "")?.[1];
        if (value === undefined) continue;
        const names = tagged.get(section) ?? new Set();
        tagged.set(section, names.add(property.name));
        if (section[property.name] !== Number(value.replaceAll("_", ""))) {
          problems.push(
            `${symbol.name}.${property.name}: @default ${value}, object ${section[property.name]}`,
          );
        }
      }
    }
  }
  for (const section of new Set(Object.values(SECTIONS))) {
    for (const [name, value] of Object.entries(section)) {
      if (typeof value === "number" && !tagged.get(section)?.has(name)) {
        problems.push(`INCUS_DEFAULTS ${name} (${value}) has no @default tag`);
      }
    }
  }
  assertEquals(problems, []);
});
