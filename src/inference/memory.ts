/**
 * Up-front memory estimate of a generation: the KV cache, the logits and the token buffers, from the model's
 * sizes and the settings alone. A request that cannot fit is refused before any work starts.
 *
 * @module
 */

/** The sizes that decide a generation's memory. */
export interface MemoryShape {
  /** Transformer layers. */
  layers: number;
  /** Key/value heads per layer. */
  kvHeads: number;
  /** Size of one head. */
  headDim: number;
  /** Vocabulary size (width of a logits row). */
  vocab: number;
  /** Distinct prompts prefilled together. */
  promptsPerBatch: number;
  /** Sequences decoded together (prompts times samples per prompt). */
  sequencesPerBatch: number;
  /** Longest prompt, in tokens. */
  maxPromptTokens: number;
  /** Tokens generated at most per sequence. */
  maxNewTokens: number;
  /** Bytes of one KV or logits element (4 for float32). */
  bytesPerElement?: number;
  /** Bytes of the model's weights, when they count against the same budget. */
  weightBytes?: number;
  /** The graph returns logits of the last position only, so the prefill has one logits row per prompt. */
  lastLogitsOnly?: boolean;
}

/** The estimate, in bytes. */
export interface MemoryEstimate {
  /** One full KV cache (keys and values of every layer) at the longest length. */
  kvCache: number;
  /** Logits of the prefill (every prompt position of every prompt). */
  prefillLogits: number;
  /** The peak: the worst of prefill and decode, counting the past and present caches alive together. */
  peak: number;
}

/** Estimates the memory of one batch of generation. */
export function estimateGenerationMemory(shape: MemoryShape): MemoryEstimate {
  const bytes = shape.bytesPerElement ?? 4;
  const perTokenRow = 2 * shape.layers * shape.kvHeads * shape.headDim * bytes;
  const fullLength = shape.maxPromptTokens + shape.maxNewTokens;
  const kvCache = perTokenRow * shape.sequencesPerBatch * fullLength;
  const prefillKv = perTokenRow * shape.promptsPerBatch * shape.maxPromptTokens;
  const logitPositions = shape.lastLogitsOnly ? 1 : shape.maxPromptTokens;
  const prefillLogits = shape.promptsPerBatch * logitPositions * shape.vocab * bytes;
  // Prefill: its cache and logits, then the cache replicated per sample while the original is alive.
  const prefillPeak = prefillKv + prefillLogits +
    perTokenRow * shape.sequencesPerBatch * shape.maxPromptTokens;
  // Decode: the step's past and present caches coexist, plus one logits row per sequence.
  const decodePeak = 2 * kvCache + shape.sequencesPerBatch * shape.vocab * bytes;
  const peak = Math.max(prefillPeak, decodePeak) + (shape.weightBytes ?? 0);
  return { kvCache, prefillLogits, peak };
}

/** Formats a byte count for messages (MiB or GiB). */
export function formatBytes(bytes: number): string {
  return bytes >= 1 << 30 ? `${(bytes / (1 << 30)).toFixed(2)} GiB` : `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}

/** Throws a clear error when the estimate exceeds the budget, naming the settings that would make it fit. */
export function assertFitsBudget(shape: MemoryShape, budgetBytes: number): MemoryEstimate {
  const estimate = estimateGenerationMemory(shape);
  if (estimate.peak > budgetBytes) {
    throw new Error(
      `generation needs about ${formatBytes(estimate.peak)} (KV cache ${formatBytes(estimate.kvCache)}, ` +
        `prefill logits ${
          formatBytes(estimate.prefillLogits)
        }) for ${shape.sequencesPerBatch} sequences of up to ` +
        `${shape.maxPromptTokens} prompt + ${shape.maxNewTokens} new tokens, over the memory budget of ` +
        `${formatBytes(budgetBytes)}; lower batch_size or max_new_tokens, shorten the prompts, or raise ` +
        `memory_budget_mb`,
    );
  }
  return estimate;
}
