/**
 * The documentation's option tables cannot drift from the types: every table
 * of README.md and docs/*.md between `<!-- options: Source -->` and
 * `<!-- /options -->` must list exactly the
 * fields of `Source` as `deno doc --json` reads them from the public entry
 * points, and where a field has a `@default` tag its Default cell must start
 * with that value in backticks.
 *
 * `Source` is an exported interface or type alias (`ConnectOptions`), a
 * field's type (`ConnectOptions.events`: the object members of
 * `boolean | Partial<HubSettings>`), or a method's parameter
 * (`Operations.watch(1)`: the second parameter of `watch`).
 */

import { assert, assertEquals } from "@std/assert";
import { docFiles } from "../_readme.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

const root = new URL("../../", import.meta.url);
const ENTRIES = ["mod.ts", "src/testing/mod.ts", "src/google/mod.ts"];

async function docNodes(): Promise<Map<string, Json>> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", "--import-map", ".ci/offline-imports.json", ...ENTRIES],
    cwd: root,
    stderr: "inherit",
  }).output();
  assert(output.success, "deno doc --json failed");
  const doc = JSON.parse(new TextDecoder().decode(output.stdout));
  const symbols = new Map<string, Json>();
  for (const module of Object.values(doc.nodes) as Json[]) {
    for (const symbol of module.symbols) {
      if (!symbols.has(symbol.name)) symbols.set(symbol.name, symbol);
    }
  }
  return symbols;
}

/** A documented field: its name and its `@default` value, if tagged. */
interface Field {
  name: string;
  default?: string;
}

const WRAPPERS = new Set(["Partial", "Required", "Readonly"]);

function fieldsOfProperties(properties: Json[]): Field[] {
  return properties.map((property) => {
    const tag = property.jsDoc?.tags?.find((t: Json) => t.kind === "default");
    return { name: property.name, default: tag?.value };
  });
}

function fieldsOfSymbol(symbols: Map<string, Json>, name: string): Field[] {
  const symbol = symbols.get(name);
  if (symbol === undefined) throw new Error(`${name} is not exported`);
  const declaration = symbol.declarations[0];
  if (declaration.kind === "interface") {
    const inherited = (declaration.def.extends ?? []).flatMap((parent: Json) =>
      fieldsOfType(symbols, parent)
    );
    return [...inherited, ...fieldsOfProperties(declaration.def.properties ?? [])];
  }
  if (declaration.kind === "typeAlias") return fieldsOfType(symbols, declaration.def.tsType);
  throw new Error(`${name} is a ${declaration.kind}, not an interface or type alias`);
}

function fieldsOfType(symbols: Map<string, Json>, type: Json): Field[] {
  switch (type?.kind) {
    case "typeRef": {
      const { typeName, typeParams } = type.value;
      if (WRAPPERS.has(typeName)) return fieldsOfType(symbols, typeParams[0]);
      if (typeName === "Omit") {
        const left = (typeParams[1]?.kind === "union" ? typeParams[1].value : [typeParams[1]])
          .map((key: Json) => key?.repr?.replace(/^"|"$/g, ""));
        return fieldsOfType(symbols, typeParams[0]).filter((field) => !left.includes(field.name));
      }
      return symbols.has(typeName) ? fieldsOfSymbol(symbols, typeName) : [];
    }
    case "intersection":
    case "union":
      return type.value.flatMap((member: Json) => fieldsOfType(symbols, member));
    case "typeLiteral":
      return fieldsOfProperties(type.value.properties ?? []);
    case "parenthesized":
      return fieldsOfType(symbols, type.value);
    default:
      return [];
  }
}

function paramType(param: Json): Json {
  return param.kind === "assign" ? param.left.tsType : param.tsType;
}

/** The fields a table's source names. */
function fieldsOf(symbols: Map<string, Json>, source: string): Field[] {
  const method = /^(\w+)\.(\w+)\((\d+)\)$/.exec(source);
  if (method !== null) {
    const [, className, methodName, index] = method;
    const declaration = symbols.get(className)?.declarations[0];
    const found = declaration?.def.methods?.find((m: Json) => m.name === methodName);
    if (found === undefined) throw new Error(`${className}.${methodName} is not documented`);
    return fieldsOfType(symbols, paramType(found.functionDef.params[Number(index)]));
  }
  const [name, field] = source.split(".");
  if (field === undefined) return fieldsOfSymbol(symbols, name);
  const property = symbols.get(name)?.declarations[0].def.properties
    ?.find((p: Json) => p.name === field);
  if (property === undefined) throw new Error(`${source} is not documented`);
  return fieldsOfType(symbols, property.tsType);
}

/** One documentation table: its file, its source and its rows' first two cells. */
interface Table {
  file: string;
  source: string;
  line: number;
  rows: { name: string; defaultCell: string }[];
}

function optionTables(file: string, text: string): Table[] {
  const lines = text.split("\n");
  const tables: Table[] = [];
  lines.forEach((line, index) => {
    const start = /^<!-- options: (\S+) -->$/.exec(line.trim());
    if (start === null) return;
    const rows = [];
    for (let at = index + 1; at < lines.length && !lines[at].startsWith("<!-- /options"); at++) {
      const cells = lines[at].split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim());
      const name = /^`(\w+)`$/.exec(cells[0] ?? "");
      if (name !== null) rows.push({ name: name[1], defaultCell: cells[1] ?? "" });
    }
    tables.push({ file, source: start[1], line: index + 1, rows });
  });
  return tables;
}

Deno.test("docs: option tables list exactly the fields of their types, with their @default", async () => {
  const tables: Table[] = [];
  for (const file of docFiles()) {
    tables.push(...optionTables(file, await Deno.readTextFile(new URL(file, root))));
  }
  for (const file of ["README.md", "docs/waiting.md", "docs/requests.md", "docs/exec.md"]) {
    assert(tables.some((table) => table.file === file), `${file} has no option table`);
  }
  assert(tables.length >= 12, `expected the docs' option tables, found ${tables.length}`);
  const symbols = await docNodes();
  const problems: string[] = [];
  for (const table of tables) {
    const fields = fieldsOf(symbols, table.source);
    const documented = table.rows.map((row) => row.name);
    const declared = [...new Set(fields.map((field) => field.name))];
    const where = `${table.file}:${table.line} (${table.source})`;
    for (const name of declared) {
      if (!documented.includes(name)) problems.push(`${where}: \`${name}\` is missing`);
    }
    for (const name of documented) {
      if (!declared.includes(name)) problems.push(`${where}: \`${name}\` is not a field`);
    }
    for (const row of table.rows) {
      const value = fields.find((field) => field.name === row.name)?.default;
      if (value !== undefined && !row.defaultCell.startsWith(`\`${value}\``)) {
        problems.push(
          `${where}: \`${row.name}\` default cell "${row.defaultCell}" must start with \`${value}\``,
        );
      }
    }
  }
  assertEquals(problems, []);
});
