/**
 * The SCoRe trainer shared by `score.stage1`, `score.stage2` and the single-turn ablation: one update samples
 * two-attempt rollouts at the rollout temperature from the current weights, rewards them with the verifier,
 * turns rewards into per-attempt weights (objectives.ts), scores the reference (the frozen base model), and
 * takes one Adam step on the REINFORCE + KL loss.
 *
 * Everything random in update u is derived from (seed, stage, u): the problems of the batch (data_order.ts),
 * the sampling streams (keyed by stage, problem, update and attempt) and the choice of base-model attempts. A
 * checkpoint therefore only needs the weights, the Adam state and the next update index to resume
 * bit-identically, and Stage II's first updates do not replay Stage I's problems and samples.
 *
 * Rollouts are sampled at temperature 1 only: the scoring and training graphs compute log-probabilities of the
 * untempered logits, so samples drawn at another temperature would be scored under a distribution they were not
 * drawn from (REINFORCE and the KL would use the wrong one); the settings refuse other values.
 *
 * @module
 */
import { z } from "zod";
import type { GenerationModel } from "../inference/model.ts";
import { sequenceRng } from "../inference/rng.ts";
import type { Checkpoint } from "../model/checkpoint.ts";
import type { Provider } from "../model/runtime.ts";
import type { ScoringSession, TrainingSession } from "../model/llama/sessions.ts";
import { Adam, AdamSettings } from "./adam.ts";
import { batchIndices } from "./data_order.ts";
import { batchGradient, type WeightedRow } from "./gradients.ts";
import {
  type AttemptWeights,
  chooseBaseAttempts,
  ObjectiveSettings,
  singleTurnWeights,
  stage1Weights,
  stage2Weights,
} from "./objectives.ts";
import { openGenerationModel } from "./policy.ts";
import type { PromptEncoder, PromptSettings } from "./prompts.ts";
import { LossNormalisation } from "./token_weights.ts";
import {
  RolloutMemoryBudgetMb,
  type SampledAttempt,
  type SampledRollout,
  sampleRollouts,
} from "./two_attempts.ts";
import type { Problem, Verifier } from "./verifiers.ts";

/** Which objective an update optimises. */
export type ScoreStage = "stage1" | "stage2" | "single_turn";

/** Settings of a SCoRe training step (workflow `with:` names), paper defaults where the paper gives one. */
export const ScoreSettings = z.object({
  ...ObjectiveSettings.shape,
  /** Updates to take. */
  updates: z.number().int().nonnegative().default(20),
  /** Problems per update. */
  batch_size: z.number().int().positive().default(16),
  /** Attempt-1 samples per problem (more than 1 makes the leave-one-out baseline meaningful). */
  samples_per_problem: z.number().int().positive().default(1),
  /** Adam's step size (the paper: 5e-6 MATH, 1e-5 code). */
  learning_rate: z.number().positive().default(5e-6),
  /** Global gradient-norm clip (none by default, as the paper states none). */
  max_grad_norm: z.number().positive().optional(),
  /**
   * Rollout sampling temperature: 1 (the paper's value) and nothing else, since the training and scoring
   * graphs score untempered log-probabilities.
   */
  temperature: z.number().refine((t) => t === 1, {
    message: "SCoRe training samples at temperature 1 only (the training and scoring graphs compute " +
      "log-probabilities at temperature 1, so other samples would be scored under the wrong distribution); " +
      "set temperature: 1",
  }).default(1),
  /**
   * Second attempts drawn after each first attempt (default 1); with `baseline: second_attempt_mean` their
   * mean reward is each one's baseline.
   */
  second_attempts: z.number().int().positive().default(1),
  max_new_tokens: z.number().int().positive().default(256),
  /** Sequences decoded together. */
  generation_batch_size: z.number().int().positive().default(32),
  /** Memory budget of one generation batch, MiB (see {@link RolloutMemoryBudgetMb}). */
  memory_budget_mb: RolloutMemoryBudgetMb,
  /** Rows per training-graph run. */
  microbatch_rows: z.number().int().positive().default(16),
  /** Share of attempt-1 samples drawn from the base model (paper, section 5.3; 0 = off). */
  base_attempt_share: z.number().min(0).max(1).default(0),
  normalisation: LossNormalisation.default("sequence"),
  /** A checkpoint (weights, Adam state, data position) every this many updates. */
  checkpoint_every: z.number().int().positive().default(10),
  seed: z.number().int().default(0),
});
/** Settings of a SCoRe training step. */
export type ScoreSettings = z.infer<typeof ScoreSettings>;

/** The Adam settings of a SCoRe run (PyTorch's Adam defaults apart from the step size and clip). */
export function scoreAdamSettings(settings: ScoreSettings): AdamSettings {
  return AdamSettings.parse({ learningRate: settings.learning_rate, maxGradNorm: settings.max_grad_norm });
}

/** Seconds an update spent in each phase. */
export interface UpdateTimes {
  /** Rebuilding the inference graph from the new weights and opening it (0 with LoRA). */
  rebuild: number;
  generation: number;
  verification: number;
  /** Reference log-probabilities (scoring graph; inside `backward` when the training graph scores them). */
  scoring: number;
  /** Forward and backward pass of the training graph. */
  backward: number;
  optimizer: number;
}

/** The phases of {@link UpdateTimes} in the order an update runs them (for tables). */
export const UPDATE_PHASES: readonly (keyof UpdateTimes)[] = [
  "rebuild",
  "generation",
  "verification",
  "scoring",
  "backward",
  "optimizer",
];

/** What an update reports. */
export interface UpdateReport {
  update: number;
  /** Mean reward of the policy's attempts 1 (base-model attempts excluded). */
  rewardAttempt1: number;
  /** Mean reward of attempts 2 (NaN when not sampled). */
  rewardAttempt2: number;
  /** Mean k3 KL per weighted token. */
  kl: number;
  loss: number;
  /** Generated tokens per second of the whole update. */
  tokensPerSecond: number;
  gradNorm: number;
  times: UpdateTimes;
  seconds: number;
}

/** Everything an update needs; the policy's weights and the optimizer change in place. */
export interface ScoreTrainer {
  stage: ScoreStage;
  settings: ScoreSettings;
  policy: Checkpoint;
  reference: Checkpoint;
  training: TrainingSession;
  /** Scores the reference; absent when `training` scores it itself (LoRA over the reference's weights). */
  scoring?: ScoringSession;
  adam: Adam;
  problems: readonly Problem[];
  prompts: PromptSettings;
  encoder: PromptEncoder;
  verifier: Verifier;
  /** Where the per-update inference graph is written (full-parameter training). */
  scratchDir: string;
  /**
   * LoRA adapters trained over frozen base weights (`training` and `scoring` then have those weights baked
   * in, and `policy.weights` may be empty). Absent: every weight of `policy` trains.
   */
  lora?: {
    adapters: Map<string, Float32Array>;
    /** Generation over the frozen base with the adapters as inputs, opened once: no per-update rebuild. */
    generation: GenerationModel;
  };
  /** The base model for base-model attempts (required when base_attempt_share > 0). */
  base?: GenerationModel;
  provider?: Provider;
  signal?: AbortSignal;
}

/** Takes update `update` (0-based) and reports it. */
export async function scoreUpdate(trainer: ScoreTrainer, update: number): Promise<UpdateReport> {
  const { settings } = trainer;
  const started = performance.now();
  const times: UpdateTimes = {
    rebuild: 0,
    generation: 0,
    verification: 0,
    scoring: 0,
    backward: 0,
    optimizer: 0,
  };
  const onTime = (phase: keyof UpdateTimes, seconds: number) => (times[phase] += seconds);
  const problems = updateProblemIndices(trainer.stage, settings, trainer.problems.length, update)
    .map((i) => trainer.problems[i]);
  const rollouts = await sampleUpdateRollouts(trainer, problems, update, onTime);
  const rows = weightedRows(trainer.stage, rollouts, settings);
  const trainable = trainedParameters(trainer);
  const gradient = await batchGradient(trainer.training, trainable, rows, {
    microbatchRows: settings.microbatch_rows,
    rollouts: rollouts.length,
    normalisation: settings.normalisation,
    reference: trainer.scoring
      ? { session: trainer.scoring, weights: trainer.reference.weights }
      : "in-graph",
    onTime,
  });
  const optimizerStart = performance.now();
  const stats = trainer.adam.update(trainable, gradient.grads);
  onTime("optimizer", (performance.now() - optimizerStart) / 1000);
  const seconds = (performance.now() - started) / 1000;
  const generated = rollouts.reduce(
    (sum, r) => sum + r.attempt1.tokenIds.length + (r.attempt2?.tokenIds.length ?? 0),
    0,
  );
  return {
    update,
    ...meanRewards(rollouts),
    kl: gradient.meanKl,
    loss: gradient.loss,
    tokensPerSecond: generated / seconds,
    gradNorm: stats.gradNorm,
    times,
    seconds,
  };
}

/** The problems of an update: the stage's own order of the training problems (seeded by seed and stage). */
export function updateProblemIndices(
  stage: ScoreStage,
  settings: Pick<ScoreSettings, "batch_size" | "seed">,
  problemCount: number,
  update: number,
): number[] {
  return batchIndices(problemCount, settings.batch_size, update, settings.seed, stage);
}

/** The round named in the sampling keys of an update: the stage and the update, e.g. `stage2/u0`. */
export function rolloutRound(stage: ScoreStage, update: number): string {
  return `${stage}/u${update}`;
}

async function sampleUpdateRollouts(
  trainer: ScoreTrainer,
  problems: readonly Problem[],
  update: number,
  onTime: (phase: keyof UpdateTimes, seconds: number) => void,
): Promise<SampledRollout[]> {
  const { settings } = trainer;
  const count = problems.length * settings.samples_per_problem;
  const share = settings.base_attempt_share;
  const rng = sequenceRng(settings.seed, `base-attempts/${trainer.stage}`, update);
  const attempt1FromBase = share > 0 ? chooseBaseAttempts(count, share, () => rng.nextFloat()) : undefined;
  const policy = trainer.lora?.generation ?? await rebuildGenerationModel(trainer, onTime);
  try {
    return await sampleRollouts(problems, {
      policy,
      base: trainer.base,
      encoder: trainer.encoder,
      verifier: trainer.verifier,
      prompts: trainer.prompts,
    }, {
      temperature: settings.temperature,
      maxNewTokens: settings.max_new_tokens,
      samples: settings.samples_per_problem,
      seed: settings.seed,
      batchSize: settings.generation_batch_size,
      round: rolloutRound(trainer.stage, update),
      secondSamples: trainer.stage === "single_turn" ? 1 : settings.second_attempts,
      memoryBudgetBytes: settings.memory_budget_mb * 1024 * 1024,
    }, {
      attempt1FromBase,
      secondAttempt: trainer.stage !== "single_turn",
      onTime,
      signal: trainer.signal,
    });
  } finally {
    if (!trainer.lora) await policy.close();
  }
}

/** Full-parameter training: the inference graph rebuilt from the current weights, timed as `rebuild`. */
async function rebuildGenerationModel(
  trainer: ScoreTrainer,
  onTime: (phase: keyof UpdateTimes, seconds: number) => void,
): Promise<GenerationModel> {
  const started = performance.now();
  const model = await openGenerationModel(trainer.policy, trainer.scratchDir, { provider: trainer.provider });
  onTime("rebuild", (performance.now() - started) / 1000);
  return model;
}

/**
 * The parameters an update changes: the LoRA adapters, or every weight of the policy.
 *
 * @example
 * ```ts ignore
 * const params = trainedParameters(trainer); // what Adam updates and the checkpoints save
 * ```
 */
export function trainedParameters(trainer: Pick<ScoreTrainer, "lora" | "policy">): Map<string, Float32Array> {
  return trainer.lora?.adapters ?? trainer.policy.weights;
}

/** The training rows of an update's rollouts: one per attempt that carries a policy or KL weight. */
export function weightedRows(
  stage: ScoreStage,
  rollouts: readonly SampledRollout[],
  settings: ObjectiveSettings,
): WeightedRow[] {
  const rows: WeightedRow[] = [];
  const push = (attempt: SampledAttempt, weights: AttemptWeights) => {
    if (weights.policy === 0 && weights.kl === 0) return;
    rows.push({ context: attempt.contextIds, completion: attempt.tokenIds, ...weights });
  };
  if (stage === "single_turn") {
    const weights = singleTurnWeights(
      rollouts.map((r) => ({ problem: r.problem.id, reward: reward(r.attempt1) })),
      settings,
    );
    rollouts.forEach((r, i) => push(r.attempt1, weights[i]));
    return rows;
  }
  const rewards = rollouts.map((r) => ({
    problem: r.problem.id,
    reward1: reward(r.attempt1),
    reward2: reward(r.attempt2!),
    attempt1FromBase: r.attempt1.fromBase === true,
    attempt1Key: `${r.problem.id}#${r.sample}`,
    attempt1Repeat: r.secondSample !== undefined,
  }));
  const weights = stage === "stage1" ? stage1Weights(rewards, settings) : stage2Weights(rewards, settings);
  rollouts.forEach((r, i) => {
    if (r.secondSample === undefined) push(r.attempt1, weights[i].attempt1);
    push(r.attempt2!, weights[i].attempt2);
  });
  return rows;
}

function reward(attempt: SampledAttempt): number {
  return attempt.correct ? 1 : 0;
}

function meanRewards(
  rollouts: readonly SampledRollout[],
): { rewardAttempt1: number; rewardAttempt2: number } {
  const own = rollouts.filter((r) => !r.attempt1.fromBase && r.secondSample === undefined);
  const mean = (values: number[]) =>
    values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
  return {
    rewardAttempt1: mean(own.map((r) => reward(r.attempt1))),
    rewardAttempt2: mean(rollouts.filter((r) => r.attempt2).map((r) => reward(r.attempt2!))),
  };
}
