/**
 * SFT data of the paper's fine-tuning baselines, built from the base model's own two-attempt rollouts.
 *
 * - STaR (multi-turn): the traces whose second attempt is right, as [problem, attempt 1] -> attempt 2. The
 *   plain variant keeps only incorrect-to-correct traces; D+ (the paper's reported row, the default) also
 *   keeps correct-to-correct ones.
 * - Pair-SFT: synthetic repair pairs joining an incorrect first attempt of a problem to a correct response to
 *   the same problem (one of the base model's correct samples, else, when allowed, the gold solution).
 *
 * - First-attempt rows ({@link firstAttemptExamples}): the base model's own right first attempts as `solution`
 *   records. Trained beside either method's traces they keep attempt 1 near the base model, as the paper's
 *   baselines do (their t1 stays close to the base model's); trained on traces alone, the first attempt drifts
 *   (issue 11 measured STaR's and Pair-SFT's t1 at 27.5 and 23.5 against the base model's 42.0).
 *
 * All return records in the SFT corpus's form ({@link SftExample}), so the `sft` step trains on them exactly
 * as on the toy corpus.
 *
 * @module
 */
import type { JudgedRollout } from "./rollout.ts";
import type { SftExample } from "./sft_example.ts";

/** STaR's data: the traces that end right; `keepCorrectToCorrect` (D+) also keeps right-to-right traces. */
export function starExamples(rollouts: readonly JudgedRollout[], keepCorrectToCorrect = true): SftExample[] {
  return rollouts
    .filter((r) => r.attempt2.correct && (keepCorrectToCorrect || !r.attempt1.correct))
    .map((r, i) => ({
      id: `star/${r.id}/${i}`,
      kind: "trace",
      problem: r.problem,
      attempt1: r.attempt1.text,
      completion: r.attempt2.text,
    }));
}

/** Settings of Pair-SFT's data. */
export interface PairOptions {
  /** Gold solutions by problem id, used as the correct side when the base model never got a problem right. */
  goldSolutions?: ReadonlyMap<string, string>;
  /** At most this many pairs per problem (default 4). */
  maxPairsPerProblem?: number;
}

/**
 * Pair-SFT's data: each distinct incorrect first attempt of a problem joined to a correct response to it (the
 * base model's correct attempts in order, cycled; or the gold solution when there is none).
 */
export function pairSftExamples(rollouts: readonly JudgedRollout[], options: PairOptions = {}): SftExample[] {
  const limit = options.maxPairsPerProblem ?? 4;
  const byProblem = new Map<string, JudgedRollout[]>();
  for (const rollout of rollouts) {
    if (!byProblem.has(rollout.id)) byProblem.set(rollout.id, []);
    byProblem.get(rollout.id)!.push(rollout);
  }
  const examples: SftExample[] = [];
  for (const [id, group] of byProblem) {
    const attempts = group.flatMap((r) => [r.attempt1, r.attempt2]);
    const correct = unique(attempts.filter((a) => a.correct).map((a) => a.text));
    const gold = options.goldSolutions?.get(id);
    if (correct.length === 0 && gold !== undefined) correct.push(gold);
    if (correct.length === 0) continue;
    const incorrect = unique(group.filter((r) => !r.attempt1.correct).map((r) => r.attempt1.text));
    incorrect.slice(0, limit).forEach((wrong, i) =>
      examples.push({
        id: `pair-sft/${id}/${i}`,
        kind: "trace",
        problem: group[0].problem,
        attempt1: wrong,
        completion: correct[i % correct.length],
      })
    );
  }
  return examples;
}

/**
 * The distinct right first attempts of each problem as `solution` records (`kind: "solution"`, the attempt as
 * the completion), in the order the rollouts give them:
 * `firstAttemptExamples([{ id: "a", problem: "p", attempt1: { text: "t", correct: true }, ... }])` is
 * `[{ id: "first/a/0", kind: "solution", problem: "p", completion: "t" }]`.
 */
export function firstAttemptExamples(rollouts: readonly JudgedRollout[]): SftExample[] {
  const seen = new Map<string, Set<string>>();
  const examples: SftExample[] = [];
  for (const rollout of rollouts) {
    if (!rollout.attempt1.correct) continue;
    const texts = seen.get(rollout.id) ?? new Set<string>();
    seen.set(rollout.id, texts);
    if (texts.has(rollout.attempt1.text)) continue;
    examples.push({
      id: `first/${rollout.id}/${texts.size}`,
      kind: "solution",
      problem: rollout.problem,
      completion: rollout.attempt1.text,
    });
    texts.add(rollout.attempt1.text);
  }
  return examples;
}

function unique(texts: readonly string[]): string[] {
  return [...new Set(texts)];
}
