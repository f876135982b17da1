/**
 * The record of one judged two-attempt rollout: what `eval.selfcorrect` writes per problem, what the baselines
 * build their SFT data from, and what the report turns into self-correction metrics.
 *
 * @module
 */
import { z } from "zod";
import type { VerdictPair } from "./metrics.ts";

/** One attempt with its verdict; extra fields (extracted answer, reason, token ids) are kept. */
export const JudgedAttempt = z.looseObject({
  /** The attempt's text as generated. */
  text: z.string(),
  /** The verifier's verdict. */
  correct: z.boolean(),
});
/** One attempt with its verdict. */
export type JudgedAttempt = z.infer<typeof JudgedAttempt>;

/** One two-attempt rollout on a problem. */
export const JudgedRollout = z.looseObject({
  /** The problem's id. */
  id: z.string(),
  /** The problem statement (or code prompt) as the model saw it. */
  problem: z.string(),
  attempt1: JudgedAttempt,
  attempt2: JudgedAttempt,
});
/** One two-attempt rollout on a problem. */
export type JudgedRollout = z.infer<typeof JudgedRollout>;

/** The verdict pairs of rollouts, one per rollout, keyed by problem id. */
export function verdictPairs(rollouts: readonly JudgedRollout[]): VerdictPair[] {
  return rollouts.map((r) => ({ problem: r.id, first: r.attempt1.correct, second: r.attempt2.correct }));
}
