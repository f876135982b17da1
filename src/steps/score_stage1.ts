/**
 * Step kind `score.stage1`: SCoRe's Stage I. Per update: sample attempts 1 and 2 at the rollout temperature,
 * reward attempt 2 with the verifier, and minimise -r2 log pi(y2|x2) + beta2 KL on attempt 1 + beta1 KL on
 * attempt 2 against the frozen reference. The run loop (checkpoints, metrics, checkpoint selection) is in
 * `_score_loop.ts`, shared with `score.stage2` and `score.single_turn`.
 *
 * @module
 */
import { defineStep } from "../workflow/step.ts";
import { TRAINED_MODEL_OUTPUTS } from "./_model.ts";
import { runScoreStep, ScoreStepParams } from "./_score_loop.ts";

/** The `score.stage1` step kind. */
export const scoreStage1 = defineStep({
  name: "score.stage1",
  source: import.meta.url,
  description:
    "SCoRe Stage I: reward attempt 2, hold attempt 1 near the base model with the strong beta2 KL.",
  params: ScoreStepParams,
  outputs: TRAINED_MODEL_OUTPUTS,
  run: (ctx) => runScoreStep(ctx, "stage1"),
});
