/**
 * SCoRe's self-correction metrics from the verdicts of two attempts per problem.
 *
 * All five are fractions of all problems, so delta(t1,t2) = Accuracy@t2 - Accuracy@t1 =
 * delta(i->c) - delta(c->i) holds exactly.
 *
 * @module
 */

/** The verdicts of one problem's two attempts. */
export interface VerdictPair {
  /** The problem's id (each problem counted once). */
  problem: string;
  /** Attempt 1 was right. */
  first: boolean;
  /** Attempt 2 was right. */
  second: boolean;
}

/** The paper's self-correction metrics, as fractions in [0, 1] (delta in [-1, 1]). */
export interface SelfCorrectionMetrics {
  /** Problems evaluated. */
  problems: number;
  /** Accuracy@t1: fraction right at attempt 1. */
  accuracyT1: number;
  /** Accuracy@t2: fraction right at attempt 2. */
  accuracyT2: number;
  /** delta(t1,t2) = Accuracy@t2 - Accuracy@t1. */
  delta: number;
  /** delta i->c: fraction of all problems wrong at attempt 1 and right at attempt 2. */
  incorrectToCorrect: number;
  /** delta c->i: fraction of all problems right at attempt 1 and wrong at attempt 2. */
  correctToIncorrect: number;
}

/** Computes the metrics; throws on no pairs or on a problem listed twice. */
export function selfCorrectionMetrics(pairs: readonly VerdictPair[]): SelfCorrectionMetrics {
  if (pairs.length === 0) {
    throw new Error("selfCorrectionMetrics: no verdict pairs; evaluate at least one problem");
  }
  const seen = new Set<string>();
  let first = 0, second = 0, fixed = 0, broken = 0;
  for (const pair of pairs) {
    if (seen.has(pair.problem)) {
      throw new Error(
        `selfCorrectionMetrics: problem "${pair.problem}" has more than one verdict pair; ` +
          `give one (greedy) pair per problem`,
      );
    }
    seen.add(pair.problem);
    if (pair.first) first++;
    if (pair.second) second++;
    if (!pair.first && pair.second) fixed++;
    if (pair.first && !pair.second) broken++;
  }
  const n = pairs.length;
  return {
    problems: n,
    accuracyT1: first / n,
    accuracyT2: second / n,
    delta: (second - first) / n,
    incorrectToCorrect: fixed / n,
    correctToIncorrect: broken / n,
  };
}
