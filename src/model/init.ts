/**
 * A fresh toy model: random weights for a config, a byte-level tokenizer sized to its vocabulary, and the
 * special-token ids written into config.json and generation_config.json to match the tokenizer.
 *
 * @module
 */
import type { LlamaConfig } from "./config.ts";
import { type Checkpoint, initWeights } from "./checkpoint.ts";
import { TextTokenizer } from "./tokenizer.ts";
import { createToyTokenizer } from "./toy_tokenizer.ts";

/** Options for {@linkcode initCheckpoint}. */
export interface InitOptions {
  /** Seed of the random weights. */
  seed: number;
  /** Text to learn tokenizer merges from, up to the config's vocab_size; bytes only when omitted. */
  corpus?: string;
}

/** Builds a checkpoint with random weights and a toy tokenizer whose vocabulary fits `config.vocab_size`. */
export function initCheckpoint(config: LlamaConfig, options: InitOptions): Checkpoint {
  const files = createToyTokenizer({
    corpus: options.corpus,
    vocabSize: options.corpus ? config.vocab_size : undefined,
  });
  const tokenizer = new TextTokenizer(files.tokenizer, files.tokenizerConfig);
  if (tokenizer.vocabSize > config.vocab_size) {
    throw new Error(
      `field "vocab_size": ${config.vocab_size} is below the toy tokenizer's ${tokenizer.vocabSize} tokens; raise it`,
    );
  }
  const specialIds = {
    bos_token_id: config.bos_token_id ?? tokenizer.bosId,
    eos_token_id: config.eos_token_id ?? tokenizer.eosId,
    pad_token_id: config.pad_token_id ?? tokenizer.padId,
  };
  const fullConfig = { ...config, ...specialIds };
  return {
    config: fullConfig,
    weights: initWeights(fullConfig, options.seed),
    tokenizer: files.tokenizer,
    tokenizerConfig: files.tokenizerConfig,
    generationConfig: {
      ...specialIds,
      eos_token_id: config.eos_token_id ?? [tokenizer.eosId, tokenizer.padId],
    },
  };
}
