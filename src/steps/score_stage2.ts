/**
 * Step kind `score.stage2`: SCoRe's Stage II, started from Stage I's model. Both attempts are rewarded, attempt
 * 2 with the shaping bonus alpha * (r2 - r1), and beta1 KL holds both near the reference (the base model).
 *
 * @module
 */
import { defineStep } from "../workflow/step.ts";
import { TRAINED_MODEL_OUTPUTS } from "./_model.ts";
import { runScoreStep, ScoreStepParams } from "./_score_loop.ts";

/** The `score.stage2` step kind. */
export const scoreStage2 = defineStep({
  name: "score.stage2",
  source: import.meta.url,
  description:
    "SCoRe Stage II: reward both attempts, attempt 2 with the bonus alpha * (r2 - r1); beta1 KL on both.",
  params: ScoreStepParams,
  outputs: TRAINED_MODEL_OUTPUTS,
  run: (ctx) => runScoreStep(ctx, "stage2"),
});
