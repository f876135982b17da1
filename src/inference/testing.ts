/**
 * Tiny random Llama models on disk for the generation tests and benchmark, built with the model core's own
 * graph builder and the model IO's toy tokenizer and checkpoint writer: a Hugging Face folder with
 * config.json, model.safetensors, tokenizer.json, tokenizer_config.json and onnx/model.onnx.
 *
 * @module
 */
import { join } from "node:path";
import { initWeights, saveCheckpoint } from "../model/checkpoint.ts";
import type { LlamaConfig } from "../model/config.ts";
import type { LogitPositions } from "../model/llama/decoder.ts";
import { buildInferenceModel } from "../model/llama/graphs.ts";
import { createToyTokenizer } from "../model/toy_tokenizer.ts";

/** The toy tokenizer's end-of-turn token (`<|im_end|>`), the EOS of toy models. */
export const TOY_EOS_ID = 258;

/** A tiny config (grouped-query attention, 2 layers, the 259-token byte vocabulary). */
export function tinyConfig(overrides: Partial<LlamaConfig> = {}): LlamaConfig {
  return {
    model_type: "llama",
    vocab_size: 259,
    hidden_size: 32,
    intermediate_size: 64,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    max_position_embeddings: 512,
    tie_word_embeddings: false,
    eos_token_id: TOY_EOS_ID,
    // large initial weights make the random model's distributions peaked, so greedy has no near-ties
    initializer_range: 0.5,
    ...overrides,
  };
}

/** What {@link writeRandomModel} wrote. */
export interface RandomModel {
  dir: string;
  config: LlamaConfig;
  weights: Map<string, Float32Array>;
}

/**
 * Writes a random model folder; `corpus` (optional) teaches the tokenizer merges up to the config's
 * vocabulary size, which must then equal the tokenizer's.
 */
export async function writeRandomModel(
  dir: string,
  config: LlamaConfig = tinyConfig(),
  options: { seed?: number; corpus?: string; logits?: LogitPositions } = {},
): Promise<RandomModel> {
  const weights = initWeights(config, options.seed ?? 1);
  const { tokenizer, tokenizerConfig } = createToyTokenizer({
    corpus: options.corpus,
    vocabSize: config.vocab_size,
  });
  await saveCheckpoint(dir, { config, weights, tokenizer, tokenizerConfig });
  const model = buildInferenceModel(config, weights, {
    externalThresholdBytes: Infinity,
    logits: options.logits,
  });
  await Deno.mkdir(join(dir, "onnx"), { recursive: true });
  await Deno.writeFile(join(dir, "onnx", "model.onnx"), model.onnx);
  return { dir, config, weights };
}
