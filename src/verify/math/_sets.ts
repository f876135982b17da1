/**
 * Sets of real numbers as sorted, disjoint unions of intervals: merging (`[0,3] \cup (3,5]` is `[0,5]`),
 * removing points (`\mathbb{R} \setminus \{2\}`) and intersecting (`x > 1` and `x < 3`). Bounds are
 * ordered by their numeric values; a bound that is not a real constant makes the set unreadable (null),
 * and the caller compares the intervals as written instead.
 *
 * @module
 */
import { numericValue } from "./numeric.ts";
import { parseLatex } from "./parse.ts";

/** One end of an interval: its bound (LaTeX) and whether it is included. */
export interface IntervalEnd {
  bound: string;
  closed: boolean;
}

/** An interval from `low` to `high`. */
export interface Interval {
  low: IntervalEnd;
  high: IntervalEnd;
}

/** The whole real line. */
export const REAL_LINE: Interval = {
  low: { bound: "-\\infty", closed: false },
  high: { bound: "\\infty", closed: false },
};

interface ValuedEnd extends IntervalEnd {
  value: number;
}

interface ValuedInterval {
  low: ValuedEnd;
  high: ValuedEnd;
}

/** The real value of a bound (±Infinity for infinities), or null when it is not a real constant. */
function boundValue(latex: string): number | null {
  const json = parseLatex(latex);
  if (json === null) return null;
  const value = numericValue(json);
  return value.im === 0 && !Number.isNaN(value.re) ? value.re : null;
}

function valued(interval: Interval): ValuedInterval | null {
  const low = boundValue(interval.low.bound);
  const high = boundValue(interval.high.bound);
  if (low === null || high === null) return null;
  return { low: { ...interval.low, value: low }, high: { ...interval.high, value: high } };
}

function isEmpty(interval: ValuedInterval): boolean {
  const { low, high } = interval;
  return low.value > high.value || (low.value === high.value && !(low.closed && high.closed));
}

function plain(interval: ValuedInterval): Interval {
  return {
    low: { bound: interval.low.bound, closed: interval.low.closed },
    high: { bound: interval.high.bound, closed: interval.high.closed },
  };
}

/** Sorts and merges intervals that overlap or touch at an included end. */
function merge(intervals: ValuedInterval[]): ValuedInterval[] {
  const sorted = intervals.filter((interval) => !isEmpty(interval)).sort((a, b) =>
    a.low.value - b.low.value || Number(b.low.closed) - Number(a.low.closed)
  );
  const out: ValuedInterval[] = [];
  for (const interval of sorted) {
    const last = out[out.length - 1];
    const touches = last && (interval.low.value < last.high.value ||
      (interval.low.value === last.high.value && (interval.low.closed || last.high.closed)));
    if (!touches) {
      out.push({ low: { ...interval.low }, high: { ...interval.high } });
      continue;
    }
    const extends_ = interval.high.value > last.high.value ||
      (interval.high.value === last.high.value && interval.high.closed);
    if (extends_) last.high = { ...interval.high };
  }
  return out;
}

/** Removes one point from sorted, disjoint intervals. */
function removePoint(intervals: ValuedInterval[], point: ValuedEnd): ValuedInterval[] {
  return intervals.flatMap((interval) => {
    const { low, high } = interval;
    if (point.value < low.value || point.value > high.value) return [interval];
    const left = { low, high: { bound: point.bound, value: point.value, closed: false } };
    const right = { low: { bound: point.bound, value: point.value, closed: false }, high };
    return [left, right].filter((part) => !isEmpty(part));
  });
}

/**
 * The union of `intervals` without the points `excluded`, sorted and disjoint; null when a bound or point is
 * not a real constant.
 */
export function canonicalUnion(intervals: Interval[], excluded: string[] = []): Interval[] | null {
  const withValues = intervals.map(valued);
  if (withValues.some((interval) => interval === null)) return null;
  let out = merge(withValues as ValuedInterval[]);
  for (const point of excluded) {
    const value = boundValue(point);
    if (value === null || !Number.isFinite(value)) return null;
    out = removePoint(out, { bound: point, value, closed: false });
  }
  return out.map(plain);
}

/** The intersection of two unions of intervals, sorted and disjoint; null when a bound is not a constant. */
export function intersectUnions(a: Interval[], b: Interval[]): Interval[] | null {
  const left = canonicalUnion(a)?.map(valued) as ValuedInterval[] | undefined;
  const right = canonicalUnion(b)?.map(valued) as ValuedInterval[] | undefined;
  if (!left || !right) return null;
  const out: ValuedInterval[] = [];
  for (const x of left) {
    for (const y of right) {
      const low = x.low.value > y.low.value || (x.low.value === y.low.value && !x.low.closed) ? x.low : y.low;
      const high = x.high.value < y.high.value || (x.high.value === y.high.value && !x.high.closed)
        ? x.high
        : y.high;
      const part = { low, high };
      if (!isEmpty(part)) out.push(part);
    }
  }
  return merge(out).map(plain);
}

/** The intersection of several unions of intervals; null when a bound is not a constant. */
export function intersectAll(unions: Interval[][]): Interval[] | null {
  return unions.slice(1).reduce<Interval[] | null>(
    (sofar, next) => sofar && intersectUnions(sofar, next),
    unions.length > 0 ? unions[0] : null,
  );
}
