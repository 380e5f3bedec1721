/**
 * A mean with its 95 % confidence interval, for repeated paired measurements (bench/pairs.ts), and the
 * verdict a target gets from it. Pure.
 */

/**
 * Student's t, two-sided 95 % (the 0.975 quantile), by degrees of freedom 1…30: the standard table
 * (e.g. NIST/SEMATECH e-Handbook of Statistical Methods, 1.3.6.7.2). One run takes at most 11 rounds;
 * the rest is for the pairs of several runs pooled (bench/pairs.ts).
 */
const T_975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086,
  2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
] as const;

/** How many values a 95 % interval is given for here. */
export const INTERVAL_VALUES = { min: 2, max: T_975.length + 1 } as const;

export interface Interval {
  n: number;
  mean: number;
  /** The 95 % confidence interval of the mean (t distribution, n − 1 degrees of freedom). */
  low: number;
  high: number;
}

export function meanInterval(values: number[]): Interval {
  const n = values.length;
  const t = T_975[n - 2];
  if (t === undefined) throw new Error(`a 95 % interval takes ${INTERVAL_VALUES.min} to ${INTERVAL_VALUES.max} values; got ${n}`);
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  const half = (t * sd) / Math.sqrt(n);
  return { n, mean, low: mean - half, high: mean + half };
}

/** met: the whole interval is on the target's side; not met: the whole interval is on the other; else undecided. */
export type Verdict = "met" | "not met" | "undecided";

export function verdict(interval: Interval, target: { atLeast: number } | { atMost: number }): Verdict {
  if ("atLeast" in target) return interval.low >= target.atLeast ? "met" : interval.high < target.atLeast ? "not met" : "undecided";
  return interval.high <= target.atMost ? "met" : interval.low > target.atMost ? "not met" : "undecided";
}
