/**
 * Checking a real daemon's answer against the generated schema table
 * (`src/api/<daemon>_schema.ts`): every declared field present (unless
 * optional), every value of the declared JSON type (`null` only where
 * nullable), and every field the description does not declare listed. A
 * difference is named where an override would go: `Definition.field`
 * (a `#Definition` restarts the name), nested `.field`, `[]` for array
 * items and `{}` for map values.
 */

import type { EndpointShapes, Shape } from "../../src/api/incus_6_0_schema.ts";
import * as incus from "../../src/api/incus_6_0_schema.ts";
import * as lxd from "../../src/api/lxd_5_0_schema.ts";

/** One difference between an answer and the schema. */
export interface Difference {
  /** Where: `InstanceState.network`, `GET /1.0/instances/{name}.x`. */
  at: string;
  /** `missing`: declared, absent; `type`: another JSON type; `unknown`: not declared. */
  kind: "missing" | "type" | "unknown";
  /** What was expected and what came, for `type` (e.g. "object, got null"). */
  detail?: string;
}

/** The schema tables of one API. */
export interface SchemaTables {
  /** Every definition's shape. */
  DEFINITIONS: Record<string, Shape>;
  /** Every endpoint's methods. */
  ENDPOINTS: Record<string, EndpointShapes>;
}

/** The tables of each daemon the suites run. */
export const TABLES: Record<"incus" | "lxd", SchemaTables> = { incus, lxd };

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

/** The differences between `value` and `shape`, named from `at`. */
export function differences(
  tables: SchemaTables,
  shape: Shape,
  value: unknown,
  at: string,
  out: Difference[] = [],
): Difference[] {
  const wrong = (expected: string) =>
    out.push({ at, kind: "type", detail: `${expected}, got ${jsonType(value)}` });
  if (typeof shape === "string") {
    if (shape === "unknown") return out;
    if (shape.startsWith("#")) {
      const name = shape.slice(1);
      const definition = tables.DEFINITIONS[name];
      if (definition === undefined) throw new Error(`${at}: no definition ${name}`);
      // A value of the wrong kind is the referring field's difference.
      const fitting = typeof definition === "object" && "fields" in definition
        ? jsonType(value) === "object"
        : value !== null;
      return differences(tables, definition, value, fitting ? name : at, out);
    }
    const type = jsonType(value);
    const fits = type === shape || (shape === "number" && type === "integer");
    if (!fits) wrong(shape);
    return out;
  }
  if ("nullable" in shape) {
    return value === null ? out : differences(tables, shape.nullable, value, at, out);
  }
  if ("items" in shape) {
    if (!Array.isArray(value)) return wrong("array"), out;
    for (const item of value) differences(tables, shape.items, item, `${at}[]`, out);
    return out;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return wrong("object"), out;
  }
  const record = value as Record<string, unknown>;
  if ("values" in shape) {
    for (const item of Object.values(record)) {
      differences(tables, shape.values, item, `${at}{}`, out);
    }
    return out;
  }
  for (const [name, field] of Object.entries(shape.fields)) {
    if (!(name in record)) {
      if (!shape.optional?.includes(name)) out.push({ at: `${at}.${name}`, kind: "missing" });
      continue;
    }
    differences(tables, field, record[name], `${at}.${name}`, out);
  }
  for (const name of Object.keys(record)) {
    if (!(name in shape.fields)) out.push({ at: `${at}.${name}`, kind: "unknown" });
  }
  return out;
}

/** The differences of a GET answer from its endpoint's documented answer. */
export function answerDifferences(
  tables: SchemaTables,
  template: string,
  answer: unknown,
): Difference[] {
  const shape = tables.ENDPOINTS[template]?.GET?.answer;
  if (shape === undefined) throw new Error(`no documented GET ${template}`);
  return differences(tables, shape, answer, `GET ${template}`);
}

/** One line per difference, deduplicated (array items repeat), sorted. */
export function describe(found: readonly Difference[]): string[] {
  const lines = found.map((d) => `${d.at}: ${d.kind}${d.detail ? ` (${d.detail})` : ""}`);
  return [...new Set(lines)].sort();
}

/** A path's shape: its segments, parameters as `{}`, and its variant. */
export function shapeOf(template: string): string {
  const [path, query = ""] = template.split("?");
  const params = new Set(query.split("&"));
  const recursion = [...params].find((p) => /^recursion=[1-9]/.test(p));
  const variant = [params.has("public") ? "public" : "", recursion ?? ""].filter(Boolean).join("&");
  return path.replaceAll(/\{[^}]+\}/g, "{}") + (variant ? `?${variant}` : "");
}

/**
 * The documented template a concrete path names, found as the client's
 * types find it: segment by segment, a named segment before a parameter.
 */
export function templateOf(tables: SchemaTables, path: string): string | undefined {
  const variantOf = (template: string) => shapeOf(template).split("?")[1] ?? "";
  const [base, query = ""] = path.split("?");
  const variant = variantOf(`/?${query}`);
  const segments = base.split("/").slice(1);
  let candidates = Object.keys(tables.ENDPOINTS)
    .filter((template) => variantOf(template) === variant)
    .map((template) => ({ template, segments: template.split("?")[0].split("/").slice(1) }))
    .filter((candidate) => candidate.segments.length === segments.length);
  for (const [i, segment] of segments.entries()) {
    const named = candidates.filter((candidate) => candidate.segments[i] === segment);
    candidates = named.length > 0
      ? named
      : candidates.filter((candidate) => candidate.segments[i].startsWith("{"));
  }
  return candidates[0]?.template;
}
