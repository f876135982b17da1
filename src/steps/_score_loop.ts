/**
 * The run loop the SCoRe step kinds share (`score.stage1`, `score.stage2`, `score.single_turn`): their
 * parameters and outputs, checkpoints (weights, Adam state, next update) every `checkpoint_every` updates,
 * per-update metrics to the run store and to a `metrics` output, and the final model directory: the last
 * weights, or with `select: best_reward` those whose rollouts earned the highest training reward (the paper's
 * checkpoint selection, see training/checkpoint_selection.ts).
 *
 * @module
 */
import { join } from "node:path";
import { z } from "zod";
import type { GenerationModel } from "../inference/model.ts";
import { ScoringSession, TrainingSession } from "../model/llama/sessions.ts";
import type { Checkpoint } from "../model/checkpoint.ts";
import { Adam } from "../training/adam.ts";
import {
  type BestUpdate,
  BestWeights,
  CheckpointSelection,
  copyWeights,
  selectionReward,
} from "../training/checkpoint_selection.ts";
import { loadPolicy, openGenerationModel, saveModelDir } from "../training/policy.ts";
import { PromptEncoder, PromptSettings } from "../training/prompts.ts";
import { type MetricPoint, TRAINING_METRICS } from "../training/report.ts";
import {
  scoreAdamSettings,
  ScoreSettings,
  type ScoreStage,
  type ScoreTrainer,
  scoreUpdate,
  type UpdateReport,
} from "../training/score_trainer.ts";
import { readTrainingState, writeTrainingState } from "../training/training_state.ts";
import { ProblemFields, readProblems, TaskName, verifierFor } from "../training/verifiers.ts";
import { ArtifactRef, readRecords, type StepContext } from "../workflow/step.ts";
import { ModelParam, modelPath, ProviderParam } from "./_model.ts";

/** Parameters of the SCoRe training steps. */
export const ScoreStepParams = z.strictObject({
  ...ScoreSettings.shape,
  /** The model to train (the base model for Stage I, Stage I's output for Stage II). */
  model: ModelParam,
  /** The frozen reference policy: the base model. */
  reference: ModelParam,
  /** Training problems. */
  problems: ArtifactRef,
  task: TaskName.default("math"),
  fields: ProblemFields.default(ProblemFields.parse({})),
  prompts: PromptSettings,
  provider: ProviderParam,
  /** The weights to output: the last ones, or those with the highest training reward (the paper's choice). */
  select: CheckpointSelection.default("last"),
});
/** Parameters of the SCoRe training steps. */
export type ScoreStepParams = z.infer<typeof ScoreStepParams>;

/** What a SCoRe checkpoint's metadata holds: the next update (the data and RNG position) and the curves. */
interface ScoreCheckpointMeta {
  nextUpdate: number;
  seed: number;
  history: MetricPoint[];
  /** The best update so far when `select` is `best_reward` (its weights are in the checkpoint directory). */
  best?: BestUpdate;
}

/**
 * Runs a SCoRe training step of the given stage, resuming from its latest checkpoint.
 *
 * @example
 * ```ts ignore
 * export const scoreStage2 = defineStep({ ..., run: (ctx) => runScoreStep(ctx, "stage2") });
 * ```
 */
export async function runScoreStep(ctx: StepContext<ScoreStepParams>, stage: ScoreStage): Promise<void> {
  const params = ctx.params;
  const policy = await loadPolicy(modelPath(params.model));
  const reference = await loadPolicy(modelPath(params.reference));
  const resume = await ctx.latestCheckpoint<ScoreCheckpointMeta>();
  const adamState = resume ? await readTrainingState(resume.dir, policy) : undefined;
  const history = resume?.meta.history ?? [];
  const trainer: ScoreTrainer = {
    stage,
    settings: params,
    policy,
    reference,
    training: await TrainingSession.create(policy.config, { provider: params.provider }),
    scoring: await ScoringSession.create(reference.config, { provider: params.provider }),
    adam: new Adam(scoreAdamSettings(params), adamState),
    problems: readProblems(await readRecords<Record<string, unknown>>(params.problems), params.fields),
    prompts: params.prompts,
    encoder: new PromptEncoder(policy),
    verifier: await verifierFor(params.task, params.fields),
    scratchDir: join(ctx.workDir, "policy-graph"),
    provider: params.provider,
    signal: ctx.signal,
  };
  const base = params.base_attempt_share > 0
    ? await openGenerationModel(reference, join(ctx.workDir, "base-graph"), { provider: params.provider })
    : undefined;
  trainer.base = base;
  const selection = params.select === "best_reward" ? new BestWeights() : undefined;
  if (selection && resume?.meta.best) await selection.read(resume.dir, resume.meta.best);
  const start = resume?.meta.nextUpdate ?? 0;
  ctx.log(
    `${stage}: ${params.updates} updates of ${params.batch_size} problems${
      resume ? `, resuming at ${start}` : ""
    }`,
  );
  try {
    for (let update = start; update < params.updates; update++) {
      const sampled = selection ? copyWeights(policy.weights) : undefined;
      const report = await scoreUpdate(trainer, update);
      recordUpdate(ctx, stage, report, history);
      if (selection && sampled) selection.offer(update, selectionReward(stage, report), sampled);
      const next = update + 1;
      if (next % params.checkpoint_every === 0 && next < params.updates) {
        const meta: ScoreCheckpointMeta = {
          nextUpdate: next,
          seed: params.seed,
          history,
          best: selection?.best,
        };
        await ctx.saveCheckpoint(next, meta, async (dir) => {
          await writeTrainingState(dir, policy, trainer.adam.exportState());
          await selection?.write(dir);
        });
      }
    }
  } finally {
    await closeAll(trainer, base);
  }
  if (selection) useSelectedWeights(ctx, stage, selection, policy);
  await saveModelDir(await ctx.dir("model"), policy);
  await (await ctx.records("metrics")).writeAll(history);
}

/** The per-update figures under their report names. */
function updateMetrics(report: UpdateReport): [string, number][] {
  const figures: [string, number][] = [
    [TRAINING_METRICS.rewardAttempt1, report.rewardAttempt1],
    [TRAINING_METRICS.rewardAttempt2, report.rewardAttempt2],
    [TRAINING_METRICS.kl, report.kl],
    [TRAINING_METRICS.loss, report.loss],
    [TRAINING_METRICS.tokensPerSecond, report.tokensPerSecond],
  ];
  return figures.filter(([, value]) => Number.isFinite(value));
}

function recordUpdate(
  ctx: StepContext<ScoreStepParams>,
  stage: ScoreStage,
  report: UpdateReport,
  history: MetricPoint[],
) {
  for (const [name, value] of updateMetrics(report)) {
    ctx.metric(`${stage}/${name}`, value, report.update);
    history.push({ stage, name, step: report.update, value });
  }
  ctx.progress(report.update + 1, ctx.params.updates);
  ctx.log(
    `${stage} update ${report.update}: r1 ${report.rewardAttempt1.toFixed(3)} r2 ${
      report.rewardAttempt2.toFixed(3)
    } ` +
      `kl ${report.kl.toFixed(4)} loss ${report.loss.toFixed(4)} ${report.seconds.toFixed(1)}s`,
  );
}

/** Puts the selected update's weights into `policy` and records which update that was. */
function useSelectedWeights(
  ctx: StepContext<ScoreStepParams>,
  stage: ScoreStage,
  selection: BestWeights,
  policy: Checkpoint,
): void {
  const { best, weights } = selection;
  if (!best || !weights) {
    ctx.log(`${stage}: no update to select from; writing the last weights`);
    return;
  }
  for (const [name, data] of weights) policy.weights.set(name, data);
  ctx.metric(`${stage}/selected_update`, best.update, best.update);
  ctx.log(
    `${stage}: selected the weights of update ${best.update} (training reward ${best.reward.toFixed(3)})`,
  );
}

async function closeAll(trainer: ScoreTrainer, base: GenerationModel | undefined): Promise<void> {
  await trainer.training.release();
  await trainer.scoring.release();
  await trainer.verifier.close?.();
  await base?.close();
}
