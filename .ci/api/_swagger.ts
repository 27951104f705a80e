/**
 * Reading a Swagger 2.0 description of the Incus or LXD REST API into the
 * model the generator writes out: definitions, and every endpoint (path
 * template × method) with its query parameters, body, answer and whether it
 * starts an operation. The overrides (.ci/api/overrides.yaml) are applied here,
 * so the model follows the real daemon where its description does not.
 *
 * @module
 */

/** A Swagger schema, as far as the descriptions use it. */
export interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  items?: Schema;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  /** Set by an override: the daemon sends `null` here. */
  "x-nullable"?: boolean;
  /** Set by an override: the daemon may leave this field out. */
  "x-optional"?: boolean;
  [key: string]: unknown;
}

interface Parameter {
  in: string;
  name: string;
  type?: string;
  schema?: Schema;
  required?: boolean;
}

interface Response {
  $ref?: string;
  schema?: Schema;
}

interface Method {
  parameters?: Parameter[];
  responses: Record<string, Response>;
}

/** The parts of a description the generator reads. */
export interface Description {
  definitions: Record<string, Schema>;
  paths: Record<string, Record<string, Method>>;
}

/** One documented call. */
export interface Call {
  /** Documented query parameters, by name. */
  query: string[];
  /** The JSON body: a schema, `"raw"` (a file's bytes) or undefined (none). */
  body?: Schema | "raw";
  /** The answer's `metadata` (a sync answer): a schema, or undefined (none documented). */
  answer?: Schema;
  /** Whether it answers with an operation: always, never, or either. */
  operation: "always" | "never" | "either";
}

/** One path template, its methods merged over the templates that differ only by parameter names. */
export interface Endpoint {
  /** The template as the description spells it (first seen), e.g. `/1.0/instances/{name}`. */
  template: string;
  /** Its segments, `{}` for a parameter; the variant (`recursion=1`, `public`) apart. */
  segments: string[];
  /** `""`, `recursion=1`, `public`, `public&recursion=1`... */
  variant: string;
  /** The calls, by upper-case method. */
  calls: Record<string, Call>;
}

/** One override of .ci/api/overrides.yaml. */
export interface Override {
  /** The APIs it applies to: `incus-6.0`, `lxd-5.0` or both (a list). */
  api: string | string[];
  /** `Definition.field` (nested: `Definition.field.field`) or `METHOD /path/template`. */
  at: string;
  /** The field's value may be `null`. */
  nullable?: boolean;
  /** The field may be absent. */
  optional?: boolean;
  /** A schema replacing (or adding) the field, or replacing an endpoint's answer. */
  schema?: Schema;
  /** Whether the endpoint answers with an operation. */
  operation?: Call["operation"];
  /** What the daemon was seen doing, and the test that sees it. */
  evidence: string;
}

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"];

/** The definition a `#/definitions/X` reference names. */
export function refName(ref: string): string {
  const name = ref.replace(/^#\/definitions\//, "");
  if (!/^[A-Z][A-Za-z0-9]*$/.test(name)) throw new Error(`unexpected reference ${ref}`);
  return name;
}

/** Splits a path template into its segments (parameters as `{}`) and its variant. */
export function splitTemplate(template: string): { segments: string[]; variant: string } {
  const [path, query = ""] = template.split("?");
  const params = query === "" ? [] : query.split("&");
  const publicParam = params.filter((param) => param === "public");
  const recursion = params.filter((param) => param.startsWith("recursion="));
  if (publicParam.length + recursion.length !== params.length) {
    throw new Error(`${template}: a variant other than public and recursion=N`);
  }
  const segments = path.split("/").slice(1).map((s) => s.startsWith("{") ? "{}" : s);
  return { segments, variant: [...publicParam, ...recursion].join("&") };
}

function operationOf(codes: string[]): Call["operation"] {
  const sync = codes.some((code) => code !== "202");
  const async = codes.includes("202");
  return async ? (sync ? "either" : "always") : "never";
}

function callOf(method: Method, where: string): Call {
  const params = method.parameters ?? [];
  const query = params.filter((param) => param.in === "query").map((param) => param.name);
  const bodies = params.filter((param) => param.in === "body");
  const body = bodies.find((param) => param.schema !== undefined)?.schema ??
    (bodies.length > 0 ? "raw" : undefined);
  const codes = Object.keys(method.responses).filter((code) => /^2\d\d$/.test(code));
  const sync = method.responses[codes.find((code) => code !== "202") ?? ""];
  let answer: Schema | undefined;
  if (sync?.schema?.properties !== undefined) answer = sync.schema.properties.metadata;
  else if (sync?.$ref === "#/responses/EmptySyncResponse") answer = { properties: {} };
  else if (sync?.$ref?.startsWith("#/definitions/")) answer = { $ref: sync.$ref };
  else if (sync?.$ref !== undefined) throw new Error(`${where}: unexpected answer ${sync.$ref}`);
  return { query, body, answer, operation: operationOf(codes) };
}

/** Every endpoint of `description`, templates differing only by parameter names merged. */
export function endpointsOf(description: Description): Endpoint[] {
  const byShape = new Map<string, Endpoint>();
  for (const [template, methods] of Object.entries(description.paths)) {
    const { segments, variant } = splitTemplate(template);
    const shape = `${segments.join("/")}?${variant}`;
    const endpoint = byShape.get(shape) ?? { template, segments, variant, calls: {} };
    byShape.set(shape, endpoint);
    for (const [name, method] of Object.entries(methods)) {
      const upper = name.toUpperCase();
      if (!METHODS.includes(upper)) throw new Error(`${template}: unknown method ${name}`);
      if (endpoint.calls[upper] !== undefined) {
        throw new Error(`${template}: ${upper} also under ${endpoint.template}`);
      }
      endpoint.calls[upper] = callOf(method, `${upper} ${template}`);
    }
  }
  return [...byShape.values()];
}

/** The schema of a `Definition.field[.field...]` location, made when `create` is set. */
function fieldAt(description: Description, at: string, create: boolean): Schema {
  const [name, ...fields] = at.split(".");
  let schema = description.definitions[name];
  if (schema === undefined || fields.length === 0) throw new Error(`override ${at}: no such field`);
  for (const [index, field] of fields.entries()) {
    const last = index === fields.length - 1;
    while (schema.$ref !== undefined) schema = description.definitions[refName(schema.$ref)];
    const parent = schema;
    if (parent.properties?.[field] === undefined && !(last && create)) {
      throw new Error(`override ${at}: no field ${field}`);
    }
    parent.properties ??= {};
    schema = parent.properties[field] ??= {};
  }
  return schema;
}

/** Applies the overrides of one API (changes `description` in place). */
export function applyOverrides(
  description: Description,
  endpoints: Endpoint[],
  overrides: Override[],
): void {
  for (const override of overrides) {
    if (typeof override.evidence !== "string" || override.evidence.length < 20) {
      throw new Error(`override ${override.at}: no evidence`);
    }
    const route = /^([A-Z]+) (\/\S*)$/.exec(override.at);
    if (route === null) {
      const field = fieldAt(description, override.at, override.schema !== undefined);
      if (override.schema !== undefined) {
        for (const key of Object.keys(field)) delete field[key];
        Object.assign(field, override.schema);
      }
      if (override.nullable) field["x-nullable"] = true;
      if (override.optional) field["x-optional"] = true;
      continue;
    }
    const call = endpoints.find((endpoint) => endpoint.template === route[2])?.calls[route[1]];
    if (call === undefined) throw new Error(`override ${override.at}: no such endpoint`);
    if (override.operation !== undefined) call.operation = override.operation;
    if (override.schema !== undefined) call.answer = override.schema;
    if (override.nullable) call.answer = { ...call.answer, "x-nullable": true };
  }
}
