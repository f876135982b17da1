/**
 * Sampling two-attempt rollouts: attempt 1 from the problem's prompt, attempt 2 from [problem, attempt 1,
 * instruction], both judged by the verifier. Every sequence is seeded from (seed, a key naming the problem,
 * the round and the attempt), so the same call gives the same rollouts whatever the batching.
 *
 * @module
 */
import { z } from "zod";
import type { Completion, GenerationSettings } from "../inference/generator.ts";
import type { GenerationModel } from "../inference/model.ts";
import { firstPrompt, type PromptEncoder, type PromptSettings, secondPrompt } from "./prompts.ts";
import type { JudgedAttempt } from "./rollout.ts";
import type { Judgement, Problem, Verifier } from "./verifiers.ts";

/**
 * The `memory_budget_mb` setting of the steps that sample rollouts: the memory (MiB) one generation batch may
 * take (KV cache and logits, estimated before sampling); a batch over it is refused, naming what to lower.
 *
 * @example
 * ```ts
 * import { RolloutMemoryBudgetMb } from "./two_attempts.ts";
 * RolloutMemoryBudgetMb.parse(undefined); // 8192
 * ```
 */
export const RolloutMemoryBudgetMb = z.number().positive().default(8192);

/** One judged attempt with the token ids it was generated from and as. */
export interface SampledAttempt extends JudgedAttempt {
  /** The context's token ids. */
  contextIds: number[];
  /** The generated token ids (with the EOS token when the model emitted one). */
  tokenIds: number[];
  extracted?: string | null;
  reason?: string;
  /** True when the base model, not the policy, produced this attempt. */
  fromBase?: boolean;
}

/** A two-attempt rollout of one problem. */
export interface SampledRollout {
  problem: Problem;
  /** Which of the problem's samples this is. */
  sample: number;
  /**
   * Which of the second attempts drawn after this attempt 1 this is (absent for the first): rollouts with
   * the same problem and sample share one attempt 1 object.
   */
  secondSample?: number;
  attempt1: SampledAttempt;
  /** Absent when only attempt 1 was sampled (single-turn training). */
  attempt2?: SampledAttempt;
}

/** Sampling settings of a rollout round. */
export interface RolloutSampling {
  temperature: number;
  maxNewTokens: number;
  /** Samples of attempt 1 per problem. */
  samples: number;
  seed: number;
  /** Sequences decoded together. */
  batchSize: number;
  stop?: readonly string[];
  /** Names the round in every seed key (for example the update index); sequences of distinct rounds differ. */
  round: string;
  /** Refuse a generation batch whose estimated peak memory exceeds this many bytes. */
  memoryBudgetBytes: number;
  /** Second attempts per first attempt (default 1); each is a rollout of its own sharing attempt 1. */
  secondSamples?: number;
}

/** The models and helpers a round uses. */
export interface RolloutModels {
  policy: GenerationModel;
  /** Produces attempt 1 of the rollouts flagged in `attempt1FromBase` (paper, section 5.3). */
  base?: GenerationModel;
  encoder: PromptEncoder;
  verifier: Verifier;
  prompts: PromptSettings;
}

/** What a round does beyond the defaults. */
export interface RolloutOptions {
  /** Per rollout (problem-major, `samples` per problem): take attempt 1 from the base model. */
  attempt1FromBase?: readonly boolean[];
  /** Sample attempt 2 (default true). */
  secondAttempt?: boolean;
  /** Called with each phase's seconds. */
  onTime?: (phase: "generation" | "verification", seconds: number) => void;
  signal?: AbortSignal;
}

/** Samples and judges the rollouts of `problems`, problem-major with `samples` per problem. */
export async function sampleRollouts(
  problems: readonly Problem[],
  models: RolloutModels,
  sampling: RolloutSampling,
  options: RolloutOptions = {},
): Promise<SampledRollout[]> {
  const { encoder, prompts } = models;
  const fromBase = options.attempt1FromBase ?? [];
  const slots = problems.flatMap((problem) =>
    Array.from({ length: sampling.samples }, (_, sample) => ({ problem, sample }))
  );
  const firstContexts = slots.map(({ problem }) => encoder.prompt(firstPrompt(problem.statement, prompts)));
  const firsts = new Array<Completion>(slots.length);
  for (const useBase of [false, true]) {
    const picked = slots.map((_, i) => i).filter((i) => (fromBase[i] === true) === useBase);
    if (picked.length === 0) continue;
    const model = useBase ? requireBase(models) : models.policy;
    const done = await timed(
      "generation",
      options,
      () =>
        generate(
          model,
          picked.map((i) => ({ key: slotKey(slots[i], sampling.round, 1), ids: firstContexts[i] })),
          sampling,
          options.signal,
        ),
    );
    picked.forEach((slot, j) => (firsts[slot] = done[j]));
  }
  const verdicts1 = await timed(
    "verification",
    options,
    () =>
      models.verifier.judge(slots.map((slot, i) => ({ problem: slot.problem, response: firsts[i].text }))),
  );
  const rollouts: SampledRollout[] = slots.map((slot, i) => ({
    problem: slot.problem,
    sample: slot.sample,
    attempt1: attempt(firstContexts[i], firsts[i], verdicts1[i], fromBase[i] === true),
  }));
  if (options.secondAttempt === false) return rollouts;
  const expanded = expandSecondSamples(rollouts, sampling.secondSamples ?? 1);
  const secondContexts = expanded.map((r) =>
    encoder.prompt(secondPrompt(r.problem.statement, r.attempt1.text, prompts))
  );
  const seconds = await timed(
    "generation",
    options,
    () =>
      generate(
        models.policy,
        expanded.map((r, i) => ({ key: secondKey(r, sampling.round), ids: secondContexts[i] })),
        sampling,
        options.signal,
      ),
  );
  const verdicts2 = await timed(
    "verification",
    options,
    () => models.verifier.judge(expanded.map((r, i) => ({ problem: r.problem, response: seconds[i].text }))),
  );
  expanded.forEach((r, i) => (r.attempt2 = attempt(secondContexts[i], seconds[i], verdicts2[i], false)));
  return expanded;
}

/** `count` rollouts per rollout, sharing its attempt 1, numbered by `secondSample` from the second on. */
function expandSecondSamples(rollouts: readonly SampledRollout[], count: number): SampledRollout[] {
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(
      `sampleRollouts: secondSamples ${count} is not a positive integer; set second_attempts >= 1`,
    );
  }
  return rollouts.flatMap((r) =>
    Array.from({ length: count }, (_, j) => (j === 0 ? r : { ...r, secondSample: j }))
  );
}

/** The seed key of a second attempt: the first keeps the single-sample key, so one sample draws as before. */
function secondKey(rollout: SampledRollout, round: string): string {
  const key = slotKey(rollout, round, 2);
  return rollout.secondSample ? `${key}.${rollout.secondSample}` : key;
}

function requireBase(models: RolloutModels): GenerationModel {
  if (!models.base) throw new Error("sampleRollouts: attempts from the base model need models.base");
  return models.base;
}

function slotKey(slot: { problem: Problem; sample: number }, round: string, attemptIndex: number): string {
  return `${slot.problem.id}#${round}#${slot.sample}#${attemptIndex}`;
}

function attempt(
  contextIds: number[],
  completion: Completion,
  verdict: Judgement,
  fromBase: boolean,
): SampledAttempt {
  const judged: SampledAttempt = {
    text: completion.text,
    correct: verdict.correct,
    contextIds,
    tokenIds: completion.tokenIds,
  };
  if (verdict.extracted !== undefined) judged.extracted = verdict.extracted;
  if (verdict.reason !== undefined) judged.reason = verdict.reason;
  if (fromBase) judged.fromBase = true;
  return judged;
}

/** One sample per request (each request already names its sample in its key). */
async function generate(
  model: GenerationModel,
  requests: { key: string; ids: number[] }[],
  sampling: RolloutSampling,
  signal?: AbortSignal,
): Promise<Completion[]> {
  const settings: GenerationSettings = {
    maxNewTokens: sampling.maxNewTokens,
    temperature: sampling.temperature,
    topP: 1,
    topK: 0,
    n: 1,
    seed: sampling.seed,
    stop: sampling.stop ?? [],
    batchSize: sampling.batchSize,
    eosTokenIds: model.eosTokenIds,
    memoryBudgetBytes: sampling.memoryBudgetBytes,
  };
  const out = await model.generator.generate(
    requests.map((r) => ({ key: r.key, promptIds: r.ids })),
    settings,
    { signal },
  );
  return out.map((samples) => samples[0]);
}

async function timed<T>(
  phase: "generation" | "verification",
  options: RolloutOptions,
  work: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  const result = await work();
  options.onTime?.(phase, (performance.now() - started) / 1000);
  return result;
}
