/**
 * Progress display for `incusops wait`: a bar with stage, percent and
 * speed on a terminal (a spinner while an operation reports no progress),
 * plain lines otherwise. With `NO_COLOR` the bar is redrawn with carriage
 * returns and spaces only: no escape codes.
 *
 * @module
 */

import type { Progress } from "../incus/progress.ts";
import { printable } from "./format.ts";

/** Where progress goes. */
export interface ProgressSink {
  /** Writes text as is. */
  write(text: string): void;
  /** Whether it is a terminal (redraw in place) or not (plain lines). */
  terminal: boolean;
  /** Whether escape codes may be written (`false` under `NO_COLOR`; default `true`). */
  escapes?: boolean;
}

const SPINNER = ["|", "/", "-", "\\"];
/** The units of {@linkcode formatSpeed}, by powers of 1000. */
const SPEED_UNITS = ["B", "kB", "MB", "GB", "TB"];

/** `12.3 MB/s` from bytes per second. */
export function formatSpeed(bytesPerSecond: number): string {
  const unit = Math.min(4, Math.max(0, Math.floor(Math.log10(bytesPerSecond) / 3)));
  const value = bytesPerSecond / 1000 ** unit;
  return `${value.toFixed(value < 10 && unit > 0 ? 1 : 0)} ${SPEED_UNITS[unit]}/s`;
}

/** One line describing `progress`, with a bar when the percentage is known. */
export function progressLine(label: string, progress: Progress, width = 20): string {
  const parts = [printable(label)];
  if (progress.percent !== undefined) {
    const filled = Math.round((progress.percent / 100) * width);
    parts.push(`[${"#".repeat(filled)}${".".repeat(width - filled)}]`, `${progress.percent}%`);
  }
  if (progress.stage) parts.push(printable(progress.stage));
  if (progress.speed !== undefined) parts.push(formatSpeed(progress.speed));
  return parts.join(" ");
}

/** Shows the progress of several waits. */
export class ProgressDisplay {
  readonly #sink: ProgressSink;
  readonly #last = new Map<string, string>();
  #spin = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #current = "";
  #drawn = 0;

  /**
   * @param sink Where to write.
   */
  constructor(sink: ProgressSink) {
    this.#sink = sink;
    if (sink.terminal) this.#timer = setInterval(() => this.#draw(), 100);
  }

  /** An operation reported progress. */
  progress(label: string, progress: Progress): void {
    const line = progressLine(label, progress);
    if (this.#sink.terminal) {
      this.#current = line;
      this.#draw();
      return;
    }
    // Plain output: a line when the stage or the tens of percent change.
    const key = `${progress.stage} ${Math.floor((progress.percent ?? 0) / 10)}`;
    if (this.#last.get(label) === key) return;
    this.#last.set(label, key);
    this.#sink.write(line + "\n");
  }

  /** An operation ended. */
  done(label: string, outcome: string): void {
    if (this.#sink.terminal) this.#sink.write(this.#clear());
    this.#current = "";
    this.#sink.write(`${printable(label)}: ${printable(outcome)}\n`);
  }

  /** Stops the spinner. */
  close(): void {
    clearInterval(this.#timer);
    if (this.#sink.terminal && this.#current !== "") this.#sink.write(this.#clear());
  }

  /** Returns to the start of the line, erasing what was drawn. */
  #clear(): string {
    if (this.#sink.escapes ?? true) return "\r\x1b[2K";
    const blank = `\r${" ".repeat(this.#drawn)}\r`;
    this.#drawn = 0;
    return blank;
  }

  #draw(): void {
    const spinner = SPINNER[this.#spin++ % SPINNER.length];
    const text = this.#current === "" ? `${spinner} waiting` : `${spinner} ${this.#current}`;
    this.#sink.write(`${this.#clear()}${text}`);
    this.#drawn = text.length;
  }
}
