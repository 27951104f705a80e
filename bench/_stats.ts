/**
 * Summary statistics of the benchmarks: medians and interquartile ranges,
 * and how the reports print them.
 *
 * @module
 */

/** The `p`-quantile (0–1) of `values`, interpolated between neighbours. */
export function quantile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * p;
  const below = Math.floor(at);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (at - below);
}

/** The median of `values`. */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** A median with its interquartile range. */
export interface Spread {
  median: number;
  q1: number;
  q3: number;
  /** How many values it summarises. */
  n: number;
}

/** The median and interquartile range of `values`. */
export function spread(values: readonly number[]): Spread {
  return {
    median: median(values),
    q1: quantile(values, 0.25),
    q3: quantile(values, 0.75),
    n: values.length,
  };
}

/** "0.97× [0.94–0.99]". */
export function ratioText(value: Spread | undefined, digits = 2): string {
  if (value === undefined || !Number.isFinite(value.median)) return "–";
  return `${value.median.toFixed(digits)}× [${value.q1.toFixed(digits)}–${
    value.q3.toFixed(digits)
  }]`;
}
