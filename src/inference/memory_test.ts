import assert from "node:assert/strict";
import { assertFitsBudget, estimateGenerationMemory, type MemoryShape } from "./memory.ts";

const SHAPE: MemoryShape = {
  layers: 2,
  kvHeads: 2,
  headDim: 8,
  vocab: 100,
  promptsPerBatch: 2,
  sequencesPerBatch: 4,
  maxPromptTokens: 10,
  maxNewTokens: 6,
};

Deno.test("the KV cache estimate counts keys and values of every layer, row and position in float32", () => {
  const estimate = estimateGenerationMemory(SHAPE);
  assert.equal(estimate.kvCache, 2 * 2 * 2 * 8 * 4 * 4 * (10 + 6));
  assert.equal(estimate.prefillLogits, 2 * 10 * 100 * 4);
  assert.equal(
    estimate.peak,
    Math.max(2 * estimate.kvCache + 4 * 100 * 4, 2 * 2 * 2 * 8 * 4 * (2 + 4) * 10 + 8000),
  );
});

Deno.test("a generation over budget is refused with the sizes and the settings to change", () => {
  const peak = estimateGenerationMemory(SHAPE).peak;
  assert.equal(assertFitsBudget(SHAPE, peak).peak, peak);
  assert.throws(
    () => assertFitsBudget(SHAPE, peak - 1),
    /over the memory budget.*lower batch_size or max_new_tokens/,
  );
});

Deno.test("with last-position logits the prefill holds one logits row per prompt", () => {
  const full = estimateGenerationMemory(SHAPE);
  const last = estimateGenerationMemory({ ...SHAPE, lastLogitsOnly: true });
  assert.equal(last.prefillLogits, 2 * 1 * 100 * 4);
  assert.equal(last.kvCache, full.kvCache);
  assert.ok(last.peak <= full.peak);
});
