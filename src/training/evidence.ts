/**
 * Evidence over seeds for the self-correction metrics: for each method, the mean over its seeds of every
 * metric with a bootstrap interval over seeds and problems, and paired comparisons of one method's
 * Δ(t1,t2) with every other method's, paired by (seed, problem).
 *
 * A method's evaluations are labelled by seed (for example `seed=1`, from the matrix values of the workflow
 * step that produced them). Two methods are paired seed by seed on the same problems; a method evaluated
 * once (a single unlabelled evaluation) pairs with every seed of the other, which is right for a fixed model
 * evaluated greedily.
 *
 * @module
 */
import { bootstrapIntervals, type BootstrapOptions, type Interval } from "./bootstrap.ts";
import { type SelfCorrectionMetrics, selfCorrectionMetrics, type VerdictPair } from "./metrics.ts";

/** One evaluation of a method: the verdicts of one seed. */
export interface Evaluation {
  /** Names the seed, for example `seed=1`; empty for a single evaluation without matrix values. */
  label: string;
  pairs: readonly VerdictPair[];
}

/** A method's evaluations, one per seed, in seed order. */
export interface MethodEvaluations {
  method: string;
  evaluations: readonly Evaluation[];
}

/** The metrics that get intervals, in table order. */
export const METRIC_NAMES = [
  "accuracyT1",
  "accuracyT2",
  "delta",
  "incorrectToCorrect",
  "correctToIncorrect",
] as const;
/** A metric with an interval. */
export type MetricName = typeof METRIC_NAMES[number];

/** The per-problem value whose mean is the metric. */
const PER_PROBLEM: Record<MetricName, (pair: VerdictPair) => number> = {
  accuracyT1: (p) => Number(p.first),
  accuracyT2: (p) => Number(p.second),
  delta: (p) => Number(p.second) - Number(p.first),
  incorrectToCorrect: (p) => Number(!p.first && p.second),
  correctToIncorrect: (p) => Number(p.first && !p.second),
};

/** One method's evidence. */
export interface MethodEvidence {
  method: string;
  /** The seed labels, in order. */
  seeds: string[];
  /** The metrics of each seed, in the same order. */
  perSeed: SelfCorrectionMetrics[];
  /** Every metric's mean over seeds with its interval. */
  metrics: Record<MetricName, Interval>;
}

/** The paired comparison of two methods' Δ(t1,t2). */
export interface DeltaComparison {
  /** The method compared (for example SCoRe). */
  method: string;
  /** The method it is compared with. */
  against: string;
  /** Δ(method) − Δ(against): the mean over seeds with its interval. */
  difference: Interval;
  /** The seeds paired. */
  seeds: string[];
  /** The (seed, problem) pairs. */
  pairs: number;
}

/** The mean over seeds of every metric, with bootstrap intervals over seeds and problems. */
export function methodEvidence(method: MethodEvaluations, options: BootstrapOptions): MethodEvidence {
  if (method.evaluations.length === 0) {
    throw new Error(`evidence: method '${method.method}' has no evaluation`);
  }
  const perSeed = method.evaluations.map((evaluation) => metricsOf(method.method, evaluation));
  const columns = METRIC_NAMES.map((name) => method.evaluations.map((e) => e.pairs.map(PER_PROBLEM[name])));
  const intervals = bootstrapIntervals(columns, options);
  return {
    method: method.method,
    seeds: method.evaluations.map((e) => e.label),
    perSeed,
    metrics: Object.fromEntries(METRIC_NAMES.map((name, i) => [name, intervals[i]])) as Record<
      MetricName,
      Interval
    >,
  };
}

function metricsOf(method: string, evaluation: Evaluation): SelfCorrectionMetrics {
  try {
    return selfCorrectionMetrics(evaluation.pairs);
  } catch (error) {
    throw new Error(`evidence: ${method}${where(evaluation)}: ${(error as Error).message}`);
  }
}

function where(evaluation: Evaluation): string {
  return evaluation.label ? ` (${evaluation.label})` : "";
}

/**
 * Δ(t1,t2) of `method` minus Δ(t1,t2) of `against`, paired by seed and problem: each resample draws seeds,
 * then problems within each seed, and takes both methods' outcomes on the same draws.
 */
export function compareDeltas(
  method: MethodEvaluations,
  against: MethodEvaluations,
  options: BootstrapOptions,
): DeltaComparison {
  const seeds = pairSeeds(method, against);
  const differences = seeds.map(([a, b]) => pairedDifferences(method.method, a, against.method, b));
  const [difference] = bootstrapIntervals([differences], options);
  return {
    method: method.method,
    against: against.method,
    difference,
    seeds: seeds.map(([a, b]) => a.label || b.label),
    pairs: differences.reduce((n, d) => n + d.length, 0),
  };
}

/** The evaluations of two methods, seed by seed (a single evaluation pairs with every seed of the other). */
function pairSeeds(a: MethodEvaluations, b: MethodEvaluations): [Evaluation, Evaluation][] {
  if (a.evaluations.length === 1 && b.evaluations.length > 1) {
    return b.evaluations.map((e) => [a.evaluations[0], e]);
  }
  if (b.evaluations.length === 1 && a.evaluations.length > 1) {
    return a.evaluations.map((e) => [e, b.evaluations[0]]);
  }
  const labels = (m: MethodEvaluations) => m.evaluations.map((e) => e.label || "(one evaluation)").join(", ");
  const byLabel = new Map(b.evaluations.map((e) => [e.label, e]));
  if (a.evaluations.length !== b.evaluations.length || a.evaluations.some((e) => !byLabel.has(e.label))) {
    throw new Error(
      `evidence: cannot pair '${a.method}' (${labels(a)}) with '${b.method}' (${labels(b)}) seed by seed; ` +
        `evaluate both on the same seeds`,
    );
  }
  return a.evaluations.map((e) => [e, byLabel.get(e.label)!]);
}

/** Per problem (in problem id order): Δ of `a` minus Δ of `b`; both must cover the same problems. */
function pairedDifferences(methodA: string, a: Evaluation, methodB: string, b: Evaluation): number[] {
  const delta = PER_PROBLEM.delta;
  const other = new Map(b.pairs.map((pair) => [pair.problem, pair]));
  if (other.size !== b.pairs.length) {
    throw new Error(`evidence: ${methodB}${where(b)} lists a problem twice`);
  }
  const missing = a.pairs.find((pair) => !other.has(pair.problem));
  if (missing || a.pairs.length !== b.pairs.length) {
    const problem = missing?.problem ??
      b.pairs.find((p) => !a.pairs.some((q) => q.problem === p.problem))?.problem;
    throw new Error(
      `evidence: '${methodA}'${where(a)} and '${methodB}'${where(b)} were evaluated on different problems ` +
        `(for example '${problem}'); pair them on the same held-out problems`,
    );
  }
  return [...a.pairs].sort((x, y) => (x.problem < y.problem ? -1 : x.problem > y.problem ? 1 : 0))
    .map((pair) => delta(pair) - delta(other.get(pair.problem)!));
}
