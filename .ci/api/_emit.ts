/**
 * Writing the model of `_swagger.ts` out: the TypeScript module of one API
 * (types, endpoint table, path tree) and its runtime schema table (for the
 * conformance tests). Upstream's prose (`description`, `title`) is never
 * copied: every doc line is made here from names and uses.
 *
 * @module
 */

import { type Call, type Description, type Endpoint, refName, type Schema } from "./_swagger.ts";

/** What is generated for one daemon's API. */
export interface ApiInfo {
  /** `Incus 6.0`. */
  daemon: string;
  /** `Incus 6.0.4 (lxc/incus, doc/rest-api.yaml at v6.0.4)`. */
  source: string;
  /** `.ci/api/incus-6.0.4-rest-api.yaml`. */
  file: string;
  /** `@incusops/operations/api/incus-6.0`. */
  specifier: string;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const key = (name: string) => IDENTIFIER.test(name) ? name : JSON.stringify(name);

/** The TypeScript type of a schema. */
function typeOf(schema: Schema | undefined): string {
  const type = baseType(schema);
  return schema?.["x-nullable"] ? `${type} | null` : type;
}

function baseType(schema: Schema | undefined): string {
  if (schema === undefined) return "unknown";
  if (schema.$ref !== undefined) return refName(schema.$ref);
  if (schema.properties !== undefined) {
    const fields = Object.entries(schema.properties).map(([name, field]) =>
      `${key(name)}${field["x-optional"] ? "?" : ""}: ${typeOf(field)}`
    );
    return fields.length === 0 ? "Empty" : `{ ${fields.join("; ")} }`;
  }
  switch (schema.type) {
    case "string":
      return "string";
    case "integer":
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    case "array": {
      const item = typeOf(schema.items);
      return /[ |]/.test(item) && !item.startsWith("{") ? `(${item})[]` : `${item}[]`;
    }
    case "object": {
      const values = schema.additionalProperties;
      if (typeof values === "object") return `Record<string, ${typeOf(values)}>`;
      return "unknown"; // raw JSON (json.RawMessage)
    }
  }
  return "unknown";
}

/** The runtime shape of a schema (see `Shape` in the schema module). */
function shapeOf(schema: Schema | undefined): unknown {
  const shape = baseShape(schema);
  return schema?.["x-nullable"] ? { nullable: shape } : shape;
}

function baseShape(schema: Schema | undefined): unknown {
  if (schema === undefined) return "unknown";
  if (schema.$ref !== undefined) return `#${refName(schema.$ref)}`;
  if (schema.properties !== undefined) {
    const fields = Object.fromEntries(
      Object.entries(schema.properties).map(([name, field]) => [name, shapeOf(field)]),
    );
    const optional = Object.entries(schema.properties)
      .filter(([, field]) => field["x-optional"]).map(([name]) => name);
    return optional.length === 0 ? { fields } : { fields, optional };
  }
  if (schema.type === "array") return { items: shapeOf(schema.items) };
  if (schema.type === "object") {
    const values = schema.additionalProperties;
    return typeof values === "object" ? { values: shapeOf(values) } : "unknown";
  }
  return ["string", "integer", "number", "boolean"].includes(schema.type ?? "")
    ? schema.type
    : "unknown";
}

/** Where each definition is used: answers, bodies, and fields of other definitions. */
function usesOf(description: Description, endpoints: Endpoint[]): Map<string, string[]> {
  const uses = new Map<string, string[]>();
  const add = (schema: Schema | "raw" | undefined, use: string) => {
    const refs = new Set<string>();
    JSON.stringify(schema ?? null, (name, value) => {
      if (name === "$ref") refs.add(refName(value));
      return value;
    });
    for (const ref of refs) uses.set(ref, [...uses.get(ref) ?? [], use]);
  };
  for (const endpoint of endpoints) {
    for (const [method, call] of Object.entries(endpoint.calls)) {
      add(call.answer, `the answer of \`${method} ${endpoint.template}\``);
      add(call.body, `the body of \`${method} ${endpoint.template}\``);
    }
  }
  for (const [name, schema] of Object.entries(description.definitions)) {
    if (schema.properties === undefined) add(schema, `\`${name}\``);
    for (const [field, value] of Object.entries(schema.properties ?? {})) {
      add(value, `\`${name}.${field}\``);
    }
  }
  return uses;
}

function definitionDoc(info: ApiInfo, name: string, uses: string[] | undefined): string {
  const where = uses === undefined
    ? ""
    : uses.length > 2
    ? `: ${uses.slice(0, 2).join(", ")} and ${uses.length - 2} more`
    : `: ${uses.join(" and ")}`;
  return `/** \`${name}\` of ${info.daemon}${where}. */`;
}

function callType(call: Call): string {
  const names = call.query.map((name) => `${key(name)}?: string`).join("; ");
  const query = names === "" ? "Empty" : `{ ${names} }`;
  const body = call.body === undefined
    ? "never"
    : call.body === "raw"
    ? "unknown"
    : typeOf(call.body);
  const answer = call.operation === "always" ? "never" : typeOf(call.answer);
  const operation = { always: "true", never: "false", either: "boolean" }[call.operation];
  return `Call<${query}, ${body}, ${answer}, ${operation}>`;
}

/** A nested object type of the path tree. */
interface Tree {
  [segment: string]: Tree | Record<string, string>;
}

function routesOf(endpoints: Endpoint[]): Tree {
  const root: Tree = {};
  for (const endpoint of endpoints) {
    if (endpoint.segments[0] !== "1.0") continue; // the client calls /1.0 and below only
    let node = root;
    for (const segment of endpoint.segments) node = (node[segment] ??= {}) as Tree;
    const leaf = (node["?"] ??= {}) as Record<string, string>;
    leaf[endpoint.variant] = endpoint.template;
  }
  return root;
}

function treeType(tree: Tree | Record<string, string>): string {
  const fields = Object.entries(tree).map(([name, value]) =>
    `${key(name)}: ${typeof value === "string" ? JSON.stringify(value) : treeType(value)}`
  );
  return `{ ${fields.join("; ")} }`;
}

function header(info: ApiInfo, what: string): string {
  return `// Generated by .ci/api/generate.ts from ${info.file} and .ci/api/overrides.yaml:\n` +
    `// do not edit (change those, then run \`deno task gen:api\`). ${what}\n`;
}

/** The TypeScript module of one API. */
export function typesModule(
  info: ApiInfo,
  description: Description,
  endpoints: Endpoint[],
): string {
  const uses = usesOf(description, endpoints);
  const reserved = ["Api", "Call", "Empty", "Endpoints", "Routes"];
  const out = [
    header(info, "Field names and shapes only: upstream's prose stays out."),
    `/**`,
    ` * The ${info.daemon} REST API as types, generated from its description`,
    ` * (${info.source}, Apache-2.0): one type per definition,`,
    ` * {@linkcode Endpoints} (every path template and method), {@linkcode Routes}`,
    ` * (the paths as a tree) and {@linkcode Api}, the bundle a client is typed by.`,
    ` *`,
    ` * @example`,
    " * ```ts",
    ` * import type { Endpoints } from "${info.specifier}";`,
    ` *`,
    ` * type StatePut = Endpoints["/1.0/instances/{name}/state"]["PUT"]["body"];`,
    ` * const body: StatePut = { action: "start", timeout: 30, force: false, stateful: false };`,
    ` * console.log(body.action); // "start"`,
    " * ```",
    ` *`,
    ` * @module`,
    ` */`,
    ``,
  ];
  for (const [name, schema] of Object.entries(description.definitions)) {
    if (reserved.includes(name)) throw new Error(`a definition is named ${name}`);
    out.push(definitionDoc(info, name, uses.get(name)));
    out.push(`export type ${name} = ${typeOf(schema)};`, ``);
  }
  out.push(
    `/** A documented call: its query parameters, JSON body (\`never\`: none), sync answer's \`metadata\` (\`never\`: it always answers with an operation), and whether it answers with an operation. */`,
    `export type Call<Q, B, A, O extends boolean> = { query: Q; body: B; answer: A; operation: O };`,
    ``,
    `/** No query parameters; an empty answer (\`{}\`). */`,
    `export type Empty = Record<string, never>;`,
    ``,
    `/** Every documented endpoint of ${info.daemon}: path template → method → {@linkcode Call}. */`,
    `export type Endpoints = {`,
  );
  for (const endpoint of endpoints) {
    const calls = Object.entries(endpoint.calls)
      .map(([method, call]) => `${method}: ${callType(call)}`);
    out.push(`  ${JSON.stringify(endpoint.template)}: { ${calls.join("; ")} };`);
  }
  out.push(
    `};`,
    ``,
    `/** The documented paths under \`/1.0\` as a tree, one level per segment (\`{}\`: a parameter; \`?\`: the endpoint, by variant), for the client's path lookup. */`,
    `export type Routes = ${treeType(routesOf(endpoints))};`,
    ``,
    `/** The ${info.daemon} API as one type: what a client is typed by. */`,
    `export interface Api {`,
    `  /** The daemon and version described. */`,
    `  daemon: ${JSON.stringify(info.daemon)};`,
    `  /** Every endpoint. */`,
    `  endpoints: Endpoints;`,
    `  /** The path tree. */`,
    `  routes: Routes;`,
    `}`,
    ``,
  );
  return out.join("\n");
}

/** The runtime schema module of one API, for the conformance tests. */
export function schemaModule(
  info: ApiInfo,
  description: Description,
  endpoints: Endpoint[],
): string {
  const definitions = Object.fromEntries(
    Object.entries(description.definitions).map(([name, schema]) => [name, shapeOf(schema)]),
  );
  const table = Object.fromEntries(endpoints.map((endpoint) => [
    endpoint.template,
    Object.fromEntries(
      Object.entries(endpoint.calls).map(([method, call]) => [method, {
        operation: call.operation,
        ...(call.operation === "always" ? {} : { answer: shapeOf(call.answer) }),
      }]),
    ),
  ]));
  return [
    header(info, "Not published: read by the conformance tests."),
    `/**`,
    ` * The ${info.daemon} REST API as data, for checking real answers against it:`,
    ` * every definition's shape, and every endpoint's answer and operation kind.`,
    ` *`,
    ` * @module`,
    ` */`,
    ``,
    `/** A value's expected shape: a JSON type, \`#Definition\`, or a compound. */`,
    `export type Shape =`,
    `  | "string" | "integer" | "number" | "boolean" | "unknown" | \`#\${string}\``,
    `  | { items: Shape } | { values: Shape } | { nullable: Shape }`,
    `  | { fields: Record<string, Shape>; optional?: string[] };`,
    ``,
    `/** One endpoint's methods: whether each answers an operation, and its sync answer. */`,
    `export type EndpointShapes = Record<string, { operation: "always" | "never" | "either"; answer?: Shape }>;`,
    ``,
    `/** The shape of every definition of ${info.daemon}. */`,
    `export const DEFINITIONS: Record<string, Shape> = ${JSON.stringify(definitions)};`,
    ``,
    `/** The endpoints of ${info.daemon}, by path template. */`,
    `export const ENDPOINTS: Record<string, EndpointShapes> = ${JSON.stringify(table)};`,
    ``,
  ].join("\n");
}
