/**
 * The `lora:` setting of the training steps (`sft`, `score.stage1/2`, `score.single_turn`) and what it turns
 * into: full-parameter training, or LoRA adapters over frozen base weights. `enabled: auto` (the default)
 * trains adapters for models of at least `auto_min_parameters` parameters and every weight below that, so
 * the toy models keep full fine-tuning while a 0.5B checkpoint trains in memory.
 *
 * @module
 */
import { z } from "zod";
import { type LlamaConfig, parameterCount } from "../model/config.ts";
import { LORA_TARGETS, type LoraOptions } from "../model/llama/decoder.ts";

/** The `lora:` settings (workflow `with:` names). */
export const LoraSettings = z.strictObject({
  /** true: adapters; false: every weight; auto: adapters from `auto_min_parameters` parameters up. */
  enabled: z.union([z.boolean(), z.literal("auto")]).default("auto"),
  /** Parameter count from which `enabled: auto` trains adapters. */
  auto_min_parameters: z.number().int().positive().default(100_000_000),
  /** Adapter rank r. */
  rank: z.number().int().positive().default(16),
  /** Scaling numerator: the update is (alpha / rank) * B A. */
  alpha: z.number().positive().default(32),
  /** Projections that get adapters (PEFT's target_modules). */
  targets: z.array(z.enum(LORA_TARGETS)).min(1).default(["q_proj", "k_proj", "v_proj", "o_proj"]),
  /** Dropout on the adapters' inputs during training (PEFT's lora_dropout). */
  dropout: z.number().min(0).max(0.9).default(0),
  /**
   * true: the `model` output is the base with the adapters merged in (a plain checkpoint), with the PEFT
   * adapter in its `adapter/` folder; false: the `model` output is the PEFT adapter alone (merge it later with
   * `pipeline model merge-lora`).
   */
  merge: z.boolean().default(true),
});
/** The `lora:` settings. */
export type LoraSettings = z.infer<typeof LoraSettings>;

/** The default `lora:` settings, for `LoraSettings.default(...)` in step schemas. */
export const DEFAULT_LORA_SETTINGS: LoraSettings = LoraSettings.parse({});

/** LoRA as a run uses it: the graph options and the dropout. */
export interface LoraChoice {
  options: LoraOptions;
  dropout: number;
  merge: boolean;
}

/**
 * Whether a run of `config` trains adapters under `settings`, and with which options (undefined: every
 * weight).
 *
 * @example
 * ```ts
 * import { DEFAULT_LORA_SETTINGS, resolveLora } from "./lora_settings.ts";
 * import { LlamaConfig } from "../model/config.ts";
 * const tiny = LlamaConfig.parse({ model_type: "llama", vocab_size: 10, hidden_size: 8, intermediate_size: 8,
 *   num_hidden_layers: 1, num_attention_heads: 2 });
 * resolveLora(DEFAULT_LORA_SETTINGS, tiny); // undefined: a tiny model trains every weight
 * ```
 */
export function resolveLora(settings: LoraSettings, config: LlamaConfig): LoraChoice | undefined {
  const on = settings.enabled === "auto"
    ? parameterCount(config) >= settings.auto_min_parameters
    : settings.enabled;
  if (!on) return undefined;
  return {
    options: { rank: settings.rank, alpha: settings.alpha, targets: [...settings.targets] },
    dropout: settings.dropout,
    merge: settings.merge,
  };
}
