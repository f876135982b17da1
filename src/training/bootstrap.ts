/**
 * A two-stage bootstrap for a mean over seeds of per-seed means over problems: each resample draws the seeds
 * with replacement, then, within each drawn seed, its problems with replacement, and averages. The interval
 * is the percentile interval of the resampled means. With one seed it is the ordinary bootstrap over
 * problems. Deterministic: the draws come from a generator seeded by {@link BootstrapOptions.seed}.
 *
 * @example
 * ```ts
 * import { bootstrapIntervals } from "./bootstrap.ts";
 * // two seeds, the 0/1 outcomes of four problems each
 * const [accuracy] = bootstrapIntervals([[[1, 0, 1, 1], [0, 0, 1, 1]]], { resamples: 2000, seed: 0 });
 * console.log(accuracy.estimate, accuracy.low, accuracy.high); // 0.625 and the 95% interval
 * ```
 *
 * @module
 */
import { sequenceRng } from "../inference/rng.ts";

/** Values of one statistic by seed, then problem: `values[seed][problem]` (seeds may differ in size). */
export type Grouped = readonly ArrayLike<number>[];

/** How to resample. */
export interface BootstrapOptions {
  /** Resamples drawn. */
  resamples: number;
  /** Seeds the generator, so equal inputs give equal intervals. */
  seed: number;
  /** Coverage of the interval (default 0.95). */
  confidence?: number;
}

/** A point estimate with its bootstrap interval. */
export interface Interval {
  /** The statistic on the data itself. */
  estimate: number;
  /** The lower end of the percentile interval. */
  low: number;
  /** The upper end of the percentile interval. */
  high: number;
}

/** The statistic: the mean over seeds of the mean over each seed's problems. */
export function groupedMean(values: Grouped): number {
  if (values.length === 0) throw new Error("groupedMean: no seeds");
  let total = 0;
  for (const group of values) {
    if (group.length === 0) throw new Error("groupedMean: a seed has no problems");
    let sum = 0;
    for (let i = 0; i < group.length; i++) sum += group[i];
    total += sum / group.length;
  }
  return total / values.length;
}

/** The group sizes shared by every column; throws when the columns differ in shape or a group is empty. */
function sharedShape(columns: readonly Grouped[]): number[] {
  if (columns.length === 0) throw new Error("bootstrap: no columns");
  const shape = columns[0].map((group) => group.length);
  if (shape.length === 0 || shape.some((n) => n === 0)) {
    throw new Error("bootstrap: every column needs at least one seed, every seed at least one problem");
  }
  for (const column of columns) {
    if (column.length !== shape.length || column.some((group, g) => group.length !== shape[g])) {
      throw new Error("bootstrap: the columns must have the same seeds and problems per seed");
    }
  }
  return shape;
}

/**
 * The resampled {@link groupedMean} of every column. The columns share each resample's drawn seeds and
 * problems (so, for example, Accuracy@t1 and Accuracy@t2 of a method move together).
 */
export function bootstrapReplicates(columns: readonly Grouped[], options: BootstrapOptions): Float64Array[] {
  const shape = sharedShape(columns);
  if (!Number.isInteger(options.resamples) || options.resamples < 1) {
    throw new Error(`bootstrap: resamples must be a positive integer, got ${options.resamples}`);
  }
  const rng = sequenceRng(options.seed, "bootstrap", 0);
  const draw = (n: number) => Math.floor((rng.nextUint32() * n) / 4294967296);
  const seeds = shape.length;
  const out = columns.map(() => new Float64Array(options.resamples));
  const sums = new Float64Array(columns.length);
  const totals = new Float64Array(columns.length);
  for (let b = 0; b < options.resamples; b++) {
    totals.fill(0);
    for (let g = 0; g < seeds; g++) {
      const seed = draw(seeds);
      const n = shape[seed];
      sums.fill(0);
      for (let i = 0; i < n; i++) {
        const problem = draw(n);
        for (let c = 0; c < columns.length; c++) sums[c] += columns[c][seed][problem];
      }
      for (let c = 0; c < columns.length; c++) totals[c] += sums[c] / n;
    }
    for (let c = 0; c < columns.length; c++) out[c][b] = totals[c] / seeds;
  }
  return out;
}

/** The `q` quantile (0..1) of sorted values, interpolating between order statistics (R's type 7). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) throw new Error("quantile: no values");
  const h = (sorted.length - 1) * q;
  const below = Math.floor(h);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (h - below) * (sorted[above] - sorted[below]);
}

/** Every column's estimate and percentile interval, from shared resamples. */
export function bootstrapIntervals(columns: readonly Grouped[], options: BootstrapOptions): Interval[] {
  const tail = (1 - (options.confidence ?? 0.95)) / 2;
  return bootstrapReplicates(columns, options).map((replicates, c) => {
    const sorted = replicates.sort();
    return {
      estimate: groupedMean(columns[c]),
      low: quantile(sorted, tail),
      high: quantile(sorted, 1 - tail),
    };
  });
}
