/**
 * Printing operations for `incusops`: a table like `incus operation list`,
 * JSON, YAML (`@std/yaml`, loaded only for yaml output) and CSV
 * (`@std/csv`, loaded only for csv output). Whatever is printed first goes
 * through {@linkcode forDisplay}: secrets masked unless asked for, nesting
 * cut at {@linkcode MAX_DISPLAY_DEPTH}, without recursion (so a hostile
 * answer cannot overflow the stack).
 *
 * @module
 */

import type { Operation } from "../incus/operation.ts";

/** Output formats. */
export type Format = "table" | "json" | "yaml" | "csv";

/** The formats `--format` accepts. */
export const FORMATS: readonly Format[] = ["table", "json", "yaml", "csv"];

/** Deepest nesting printed; anything deeper is replaced by a note. */
export const MAX_DISPLAY_DEPTH = 64;

const MASK = "********";
const SECRET_KEYS = new Set(["secret", "secrets", "token", "fds"]);

/** A token as the daemons make them (hex, 32 characters or more). */
const TOKEN = /^[0-9a-f]{32,}$/i;

/** One value still to copy: where it goes, and what applies to it. */
interface Task {
  node: unknown;
  holder: Record<string | number, unknown>;
  key: string | number;
  masking: boolean;
  websocket: boolean;
  depth: number;
}

/**
 * A copy of `value` fit to print: with `mask` (the default), values under
 * `fds`, `secret(s)` and `token` keys, and every token-like string in the
 * metadata of a websocket operation (a migration's `control`/`fs`/`criu`
 * secrets let anyone holding them connect and read the instance), become
 * `********`; maps and lists deeper than `maxDepth` become a note. It walks
 * with its own stack: any depth is safe.
 */
export function forDisplay<T>(
  value: T,
  options: { mask?: boolean; maxDepth?: number } = {},
): T {
  const mask = options.mask ?? true;
  const maxDepth = options.maxDepth ?? MAX_DISPLAY_DEPTH;
  const root: Record<string, unknown> = {};
  const stack: Task[] = [
    { node: value, holder: root, key: "value", masking: false, websocket: false, depth: 0 },
  ];
  while (stack.length > 0) {
    const { node, holder, key, masking, websocket, depth } = stack.pop()!;
    if (node === null || typeof node !== "object") {
      holder[key] = mask && typeof node === "string" && (masking || (websocket && TOKEN.test(node)))
        ? MASK
        : node;
      continue;
    }
    if (depth >= maxDepth) {
      holder[key] = `[nested deeper than ${maxDepth} levels: not shown]`;
      continue;
    }
    if (Array.isArray(node)) {
      const copy: unknown[] = new Array(node.length);
      holder[key] = copy;
      for (let i = node.length - 1; i >= 0; i--) {
        stack.push({
          node: node[i],
          holder: copy as unknown as Record<number, unknown>,
          key: i,
          masking,
          websocket,
          depth: depth + 1,
        });
      }
      continue;
    }
    const record = node as Record<string, unknown>;
    const websocketOp = record.class === "websocket";
    const copy: Record<string, unknown> = {};
    holder[key] = copy;
    const entries = Object.entries(record);
    for (const [child] of entries) {
      // An own slot first (keeps the order, and "__proto__" stays a plain key).
      Object.defineProperty(copy, child, { enumerable: true, writable: true, configurable: true });
    }
    for (let i = entries.length - 1; i >= 0; i--) {
      const [child, inner] = entries[i];
      stack.push({
        node: inner,
        holder: copy,
        key: child,
        masking: masking || SECRET_KEYS.has(child),
        websocket: websocket || (websocketOp && child === "metadata"),
        depth: depth + 1,
      });
    }
  }
  return root.value as T;
}

/** A column of the table and CSV output. */
export interface Column {
  /** The header. */
  name: string;
  /** The cell of one operation: any value, made {@linkcode printable} when shown. */
  cell: (op: Operation) => unknown;
}

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** One control character escaped as JSON writes it: `\n`, `\r`, `\t`, else `\u00XX`. */
const escape = (c: string) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;

/**
 * `value` as text fit for a terminal, for every human format (table and
 * CSV cells, stderr lines, `watch`, progress): a string, number or
 * boolean written out (anything else is `""`), with every control
 * character escaped as JSON writes it, so that nothing a daemon sends can
 * retitle, clear or rewrite the terminal, nor break a table's lines.
 */
export function printable(value: unknown): string {
  const text = ["string", "number", "boolean"].includes(typeof value) ? String(value) : "";
  return text.replace(/\p{Cc}/gu, escape); // every control character: C0, DEL, C1
}

const ID: Column = { name: "ID", cell: (op) => op.id };
/**
 * An operation's project: its `project` field (newer servers), else the
 * `project=` of the URLs in its `resources` (no `project=` there: the
 * default project), else unknown ("").
 */
export function projectOf(op: Operation): string {
  if (typeof op.project === "string" && op.project !== "") return op.project;
  const urls = Object.values(Object(op.resources)).flat();
  if (urls.length === 0) return "";
  for (const url of urls) {
    const project = typeof url === "string" &&
      URL.parse(url, "http://x")?.searchParams.get("project");
    if (project) return project;
  }
  return "default";
}

const PROJECT: Column = { name: "PROJECT", cell: projectOf };
const REST: Column[] = [
  { name: "TYPE", cell: (op) => printable(op.class).toUpperCase() },
  { name: "DESCRIPTION", cell: (op) => op.description },
  { name: "STATUS", cell: (op) => printable(op.status).toUpperCase() },
  { name: "CANCELABLE", cell: (op) => (op.may_cancel ? "YES" : "NO") },
  {
    name: "CREATED",
    cell: (op) =>
      printable(op.created_at).replace("T", " ").replace(/\.\d+/, "").replace("Z", " UTC"),
  },
];

/** What decides the columns. */
export interface ColumnChoice {
  /** Operations of every project: a PROJECT column after ID. */
  allProjects?: boolean;
  /** Operations of a cluster: a LOCATION column last (the member), as `incus operation list`. */
  location?: boolean;
  /** Operations of many remotes: a REMOTE column first. */
  remote?: boolean;
}

const LOCATION: Column = { name: "LOCATION", cell: (op) => op.location ?? "" };
const REMOTE: Column = { name: "REMOTE", cell: (op) => (op as { remote?: string }).remote ?? "" };

/** The columns of a listing, as `incus operation list` shows them. */
export function columnsFor(choice: ColumnChoice = {}): Column[] {
  return [
    ...(choice.remote ? [REMOTE] : []),
    ID,
    ...(choice.allProjects ? [PROJECT] : []),
    ...REST,
    ...(choice.location ? [LOCATION] : []),
  ];
}

/** Whether any operation runs on a cluster member (its `location` names one). */
export function onCluster(ops: readonly Operation[]): boolean {
  return ops.some((op) => ![undefined, "", "none"].includes(op.location));
}

/** A boxed table like the incus CLI's; built with loops, for any number of rows. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header) => header.length);
  for (const row of rows) {
    for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i], row[i].length);
  }
  const rule = "+" + widths.map((w) => "-".repeat(w + 2)).join("+") + "+";
  const line = (cells: readonly string[]) =>
    "|" + cells.map((cell, i) => ` ${cell.padEnd(widths[i])} `).join("|") + "|";
  const lines = [rule, line(headers), rule];
  for (const row of rows) lines.push(line(row), rule);
  return lines.join("\n");
}

/** CSV rows as `incus ... --format csv` prints them (RFC 4180 quoting, one `\n` per row). */
async function csv(rows: readonly (readonly string[])[]): Promise<string> {
  const { stringify } = await import("@std/csv/stringify");
  const lines: string[] = [];
  for (const row of rows) lines.push(stringify([[...row]]).slice(0, -2));
  return lines.join("\n");
}

/** YAML for plain data (maps, lists, scalars), as `incus ... show` prints it. */
export async function toYaml(value: unknown): Promise<string> {
  const { stringify } = await import("@std/yaml/stringify");
  return stringify(value as Record<string, unknown>, { lineWidth: -1 }).trimEnd();
}

/** JSON, two-space indented; DEL and C1 controls (which JSON allows raw) escaped too. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/[\x7f-\x9f]/g, escape);
}

/**
 * Operations in `format` (already passed through {@linkcode forDisplay}).
 *
 * @param ops The operations.
 * @param format The format.
 * @param columns The table and CSV columns (default {@linkcode columnsFor}`()`).
 */
export async function formatOperations(
  ops: Operation[],
  format: Format,
  columns: readonly Column[] = columnsFor(),
): Promise<string> {
  switch (format) {
    case "json":
      return toJson(ops);
    case "yaml":
      return await toYaml(ops);
    default: {
      const rows = ops.map((op) => columns.map((column) => printable(column.cell(op))));
      if (format === "csv") return await csv(rows);
      return table(columns.map((column) => column.name), rows);
    }
  }
}
