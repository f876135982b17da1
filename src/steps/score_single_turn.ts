/**
 * Step kind `score.single_turn`: the ablation "without multi-turn training": REINFORCE on attempt 1 alone
 * (reward r1, beta1 KL against the reference), with the same loop, checkpoints and metrics as SCoRe's stages.
 *
 * @module
 */
import { defineStep } from "../workflow/step.ts";
import { TRAINED_MODEL_OUTPUTS } from "./_model.ts";
import { runScoreStep, ScoreStepParams } from "./_score_loop.ts";

/** The `score.single_turn` step kind. */
export const scoreSingleTurn = defineStep({
  name: "score.single_turn",
  source: import.meta.url,
  description: "Ablation: single-turn REINFORCE on attempt 1 (reward r1, beta1 KL), no second attempt.",
  params: ScoreStepParams,
  outputs: TRAINED_MODEL_OUTPUTS,
  run: (ctx) => runScoreStep(ctx, "single_turn"),
});
