/**
 * Supervised fine-tuning: maximise log pi(completion | context) over SFT examples ({@link SftExample}), token
 * by token, with Adam. Solutions are learned after the first-attempt prompt; traces after [problem, attempt 1,
 * instruction], so the model learns the two-attempt format the workflow's instruction defines.
 *
 * @module
 */
import { z } from "zod";
import type { TrainingSession } from "../model/llama/sessions.ts";
import { Adam, type AdamState } from "./adam.ts";
import type { SequenceRow } from "./batch.ts";
import { batchIndices } from "./data_order.ts";
import { batchGradient } from "./gradients.ts";
import { firstPrompt, type PromptEncoder, type PromptSettings, secondPrompt } from "./prompts.ts";
import type { SftExample } from "./sft_example.ts";

/** SFT settings (workflow `with:` names). */
export const SftSettings = z.object({
  /** Optimizer updates. */
  steps: z.number().int().nonnegative().default(300),
  /** Examples per update. */
  batch_size: z.number().int().positive().default(32),
  /** Rows per graph run (memory bound); gradients are summed across micro-batches. */
  microbatch_rows: z.number().int().positive().default(32),
  learning_rate: z.number().positive().default(1e-3),
  /** Global gradient-norm clip. */
  max_grad_norm: z.number().positive().default(1),
  /** Linear decay of the learning rate to this fraction of it at the last update (1: constant). */
  final_lr_fraction: z.number().min(0).max(1).default(1),
  /** Seed of the data order. */
  seed: z.number().int().default(0),
});
/** SFT settings. */
export type SftSettings = z.infer<typeof SftSettings>;

/** The (context, completion) rows of SFT examples. */
export function sftRows(
  examples: readonly SftExample[],
  encoder: PromptEncoder,
  prompts: PromptSettings,
): SequenceRow[] {
  return examples.map((example) => {
    const prompt = example.kind === "solution"
      ? firstPrompt(example.problem, prompts)
      : secondPrompt(example.problem, example.attempt1!, {
        ...prompts,
        instruction: example.instruction ?? prompts.instruction,
      });
    return { context: encoder.prompt(prompt), completion: encoder.completion(example.completion) };
  });
}

/** Figures of one SFT update. */
export interface SftStepReport {
  /** 0-based update index. */
  step: number;
  /** Mean negative log-likelihood per completion token. */
  loss: number;
  tokens: number;
  seconds: number;
}

/** The learning rate of update `step` under the linear decay. */
export function sftLearningRate(settings: SftSettings, step: number): number {
  if (settings.steps <= 1) return settings.learning_rate;
  const progress = step / (settings.steps - 1);
  return settings.learning_rate * (1 - (1 - settings.final_lr_fraction) * progress);
}

/** Where an SFT run starts and what it reports. */
export interface SftRun {
  /** First update to take (resume point); default 0. */
  startStep?: number;
  /** Optimizer state to resume from. */
  adamState?: AdamState;
  /** Called after every update. */
  onStep?: (report: SftStepReport, adam: Adam) => Promise<void> | void;
  signal?: AbortSignal;
}

/**
 * Trains `params` in place on `rows` for the configured number of updates: every weight of a policy, or its
 * LoRA adapters when `session` was built with LoRA over frozen base weights.
 */
export async function trainSft(
  session: TrainingSession,
  params: Map<string, Float32Array>,
  rows: readonly SequenceRow[],
  settings: SftSettings,
  run: SftRun = {},
): Promise<void> {
  const adam = new Adam(
    {
      learningRate: settings.learning_rate,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0,
      weightDecayMode: "decoupled",
      maxGradNorm: settings.max_grad_norm,
    },
    run.adamState,
  );
  for (let step = run.startStep ?? 0; step < settings.steps; step++) {
    run.signal?.throwIfAborted();
    const started = performance.now();
    const batch = batchIndices(rows.length, settings.batch_size, step, settings.seed)
      .map((i) => ({ ...rows[i], policy: 1, kl: 0 }));
    const gradient = await batchGradient(session, params, batch, {
      microbatchRows: settings.microbatch_rows,
      rollouts: batch.length,
      normalisation: "token",
    });
    adam.update(params, gradient.grads, sftLearningRate(settings, step));
    const seconds = (performance.now() - started) / 1000;
    await run.onStep?.({ step, loss: gradient.loss, tokens: gradient.tokens, seconds }, adam);
  }
}
