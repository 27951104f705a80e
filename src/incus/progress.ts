/**
 * Reading an operation's progress from its metadata, in both forms the
 * daemons use: the structured `metadata.progress` object (stage, percent,
 * processed, speed) and the older `*_progress` strings such as
 * `download_progress: "rootfs: 45% (12.30MB/s)"`.
 *
 * @module
 */

/** An operation's progress, parsed. */
export interface Progress {
  /** What is being done (`"rootfs"`, `"unpack"`, `"fs"`, ...). */
  stage: string;
  /** Percent done, 0 to 100, when known. */
  percent?: number;
  /** Bytes done, when known. */
  processed?: number;
  /** Bytes per second, when known. */
  speed?: number;
  /** The daemon's own text (`"rootfs: 45% (12.30MB/s)"`), or the object as `key=value`. */
  text: string;
}

/** A size: a number, then `B` alone or after a unit (`k`/`K`, `M`, `G`, `T`, `P`; `i`: powers of 1024). */
const SIZE = /^([\d.]+)\s*(?:([kKMGTP])(i?)B|B)?$/;

/** Bytes of a size such as `12.30MB`, `4KiB` or a plain number; `undefined` if unreadable. */
export function parseSize(text: string): number | undefined {
  const match = SIZE.exec(text.trim());
  const power = match?.[2] === undefined ? 0 : "KMGTP".indexOf(match[2].toUpperCase()) + 1;
  const value = Number(match?.[1]) * (match?.[3] ? 1024 : 1000) ** power;
  return Number.isFinite(value) ? value : undefined;
}

function percentOf(value: unknown): number | undefined {
  const text = typeof value === "string" ? value.replace(/%$/, "") : NaN; // never String(a list)
  const number = typeof value === "number" ? value : Number(text);
  return Number.isFinite(number) && value !== "" ? Math.min(100, Math.max(0, number)) : undefined;
}

/** A field's value as text; a map or list (which may nest without end) as `…`. */
const scalar = (value: unknown) =>
  value !== null && typeof value === "object" ? "…" : `${value ?? ""}`;

/**
 * A number followed by `%` (`45` in `"rootfs: 45% …"`). Not preceded by a
 * digit: a match starts where a run of digits does, so a long run is
 * scanned once, not once per digit (quadratic: 35 s on 200 KB of digits).
 */
const PERCENT = /(?<!\d)(\d+(?:\.\d+)?)%/;

/** Bytes (or bytes per second) of a number or a size such as `12.30MB` (or `12.30MB/s`). */
function bytesOf(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  return typeof value === "string" ? parseSize(value.replace(/\/s$/, "")) : undefined;
}

/** Parses a `*_progress` string such as `"rootfs: 45% (12.30MB/s)"`. */
function parseText(key: string, text: string): Progress {
  const colon = text.indexOf(": ");
  const stage = colon > 0 ? text.slice(0, colon) : key.replace(/_progress$/, "");
  const rest = colon > 0 ? text.slice(colon + 2) : text;
  const progress: Progress = { stage, text };
  const percent = PERCENT.exec(rest);
  if (percent !== null) progress.percent = percentOf(percent[1]);
  const speed = /\(([^()]+)\/s\)/.exec(rest);
  if (speed !== null) progress.speed = parseSize(speed[1]);
  if (percent === null) {
    const processed = /^([\d.]+\s*[kKMGTP]?i?B)\b/.exec(rest);
    if (processed !== null) progress.processed = parseSize(processed[1]);
  }
  return progress;
}

/**
 * The progress an operation's metadata reports, or `undefined` if none.
 *
 * @param metadata The operation's `metadata`.
 * @returns The parsed progress.
 *
 * @example
 * ```ts
 * import { parseProgress } from "@incusops/operations";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(parseProgress({ download_progress: "rootfs: 45% (12.30MB/s)" }), {
 *   stage: "rootfs",
 *   percent: 45,
 *   speed: 12_300_000,
 *   text: "rootfs: 45% (12.30MB/s)",
 * });
 * ```
 */
export function parseProgress(metadata: unknown): Progress | undefined {
  if (metadata === null || typeof metadata !== "object") return undefined;
  const record = metadata as Record<string, unknown>;
  const structured = record.progress;
  if (structured !== null && typeof structured === "object") {
    const fields = structured as Record<string, unknown>;
    const progress: Progress = {
      stage: scalar(fields.stage),
      text: Object.entries(fields).map(([k, v]) => `${k}=${scalar(v)}`).join(" "),
    };
    const percent = fields.percent === undefined ? undefined : percentOf(fields.percent);
    const processed = bytesOf(fields.processed);
    const speed = bytesOf(fields.speed);
    if (percent !== undefined) progress.percent = percent;
    if (processed !== undefined) progress.processed = processed;
    if (speed !== undefined) progress.speed = speed;
    return progress;
  }
  for (const [key, value] of Object.entries(record)) {
    if (key.endsWith("_progress") && typeof value === "string" && value !== "") {
      return parseText(key, value);
    }
  }
  return undefined;
}
