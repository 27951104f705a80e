/**
 * Printing operations for `incusops`: a table like `incus operation list`,
 * JSON, YAML and CSV; secrets masked unless asked for.
 *
 * @module
 */

import type { Operation } from "../../mod.ts";

/** Output formats. */
export type Format = "table" | "json" | "yaml" | "csv";

/** The formats `--format` accepts. */
export const FORMATS: readonly Format[] = ["table", "json", "yaml", "csv"];

const MASK = "********";
const SECRET_KEYS = new Set(["secret", "secrets", "token", "fds"]);

/** A token as the daemons make them (hex, 32 characters or more). */
const TOKEN = /^[0-9a-f]{32,}$/i;

/**
 * A deep copy of `value` with secrets masked: values under `fds`,
 * `secret(s)` and `token` keys, and every token-like string in the
 * metadata of a websocket operation (a migration's `control`/`fs`/`criu`
 * secrets let anyone holding them connect and read the instance).
 */
export function maskSecrets<T>(value: T): T {
  const walk = (node: unknown, masking: boolean, websocket: boolean): unknown => {
    if (Array.isArray(node)) return node.map((item) => walk(item, masking, websocket));
    if (node !== null && typeof node === "object") {
      const record = node as Record<string, unknown>;
      const websocketOp = record.class === "websocket";
      return Object.fromEntries(
        Object.entries(record).map(([key, child]) => [
          key,
          walk(
            child,
            masking || SECRET_KEYS.has(key),
            websocket || (websocketOp && key === "metadata"),
          ),
        ]),
      );
    }
    return typeof node === "string" && (masking || (websocket && TOKEN.test(node))) ? MASK : node;
  };
  return walk(value, false, false) as T;
}

const COLUMNS: [string, (op: Operation) => string][] = [
  ["ID", (op) => op.id],
  ["TYPE", (op) => op.class.toUpperCase()],
  ["DESCRIPTION", (op) => op.description],
  ["STATUS", (op) => op.status.toUpperCase()],
  ["CANCELABLE", (op) => (op.may_cancel ? "YES" : "NO")],
  ["CREATED", (op) => op.created_at.replace("T", " ").replace(/\.\d+/, "").replace("Z", " UTC")],
];

/** A boxed table like the incus CLI's. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const rule = "+" + widths.map((w) => "-".repeat(w + 2)).join("+") + "+";
  const line = (cells: string[]) =>
    "|" + cells.map((cell, i) => ` ${cell.padEnd(widths[i])} `).join("|") + "|";
  return [rule, line(headers), rule, ...rows.flatMap((row) => [line(row), rule])].join("\n");
}

function csvCell(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** YAML for plain JSON data (maps, lists, scalars), as `incus ... show` prints it. */
export function toYaml(value: unknown, indent = ""): string {
  const scalar = (v: unknown): string => {
    if (v === null || v === undefined) return "null";
    if (typeof v === "string") {
      return v === "" ||
          /^[\s\-?:,\[\]{}#&*!|>'"%@`]|[:#]\s|\s$|^(true|false|null|yes|no|~|[\d.+-]+)$/i.test(v)
        ? JSON.stringify(v)
        : v;
    }
    return String(v);
  };
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return value.map((item) => {
      const inner = toYaml(item, indent + "  ");
      return item !== null && typeof item === "object" && Object.keys(item).length > 0
        ? `${indent}- ${inner.trimStart()}`
        : `${indent}- ${inner}`;
    }).join("\n");
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value);
    if (entries.length === 0) return "{}";
    return entries.map(([key, child]) => {
      if (child !== null && typeof child === "object" && Object.keys(child).length > 0) {
        return `${indent}${key}:\n${toYaml(child, indent + "  ")}`;
      }
      return `${indent}${key}: ${toYaml(child, indent + "  ")}`;
    }).join("\n");
  }
  return scalar(value);
}

/** Operations in `format`. */
export function formatOperations(ops: Operation[], format: Format): string {
  switch (format) {
    case "json":
      return JSON.stringify(ops, null, 2);
    case "yaml":
      return toYaml(ops);
    case "csv":
      return ops.map((op) => COLUMNS.map(([, get]) => csvCell(get(op))).join(",")).join("\n");
    default:
      return table(
        COLUMNS.map(([name]) => name),
        ops.map((op) => COLUMNS.map(([, get]) => get(op))),
      );
  }
}
