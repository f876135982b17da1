/**
 * The generation settings as the CLI and the step kinds accept them (snake_case, with defaults), and their
 * conversion to {@link GenerationSettings}.
 *
 * @module
 */
import { z } from "zod";
import type { GenerationSettings } from "./generator.ts";
import { PROVIDERS } from "../model/runtime.ts";

/** Default memory budget for one batch (KV cache + logits), in MiB. */
export const DEFAULT_MEMORY_BUDGET_MB = 4096;

/** Sampling and batching parameters, shared by `generate` and `correct`. */
export const SamplingParams = z.object({
  max_new_tokens: z.number().int().positive().default(256),
  /** 0 = greedy. */
  temperature: z.number().min(0).default(1),
  top_p: z.number().gt(0).max(1).default(1),
  top_k: z.number().int().min(0).default(0),
  n: z.number().int().positive().default(1),
  seed: z.number().int().default(0),
  stop: z.array(z.string().min(1)).default([]),
  batch_size: z.number().int().positive().default(8),
  memory_budget_mb: z.number().positive().default(DEFAULT_MEMORY_BUDGET_MB),
  provider: z.enum(PROVIDERS).default("cpu"),
  /** What to do when the provider cannot load: fail, or run on the CPU (logged). */
  provider_fallback: z.enum(["error", "cpu"]).default("error"),
});
/** Parsed sampling parameters. */
export type SamplingParams = z.infer<typeof SamplingParams>;

/** The sampling settings recorded with every sample (what decides its distribution). */
export type SamplingRecord = Pick<
  SamplingParams,
  "temperature" | "top_p" | "top_k" | "max_new_tokens" | "stop"
>;

/** Converts parameters to generator settings. */
export function generationSettings(
  params: SamplingParams,
  eosTokenIds: readonly number[],
): GenerationSettings {
  return {
    maxNewTokens: params.max_new_tokens,
    temperature: params.temperature,
    topP: params.top_p,
    topK: params.top_k,
    n: params.n,
    seed: params.seed,
    stop: params.stop,
    batchSize: params.batch_size,
    eosTokenIds,
    memoryBudgetBytes: params.memory_budget_mb * 1024 * 1024,
  };
}

/** The part of the parameters that each output record keeps. */
export function samplingRecord(params: SamplingParams): SamplingRecord {
  const { temperature, top_p, top_k, max_new_tokens, stop } = params;
  return { temperature, top_p, top_k, max_new_tokens, stop };
}
