/**
 * Step kind `generate`: samples completions for a records artifact of prompts ({prompt} or {messages}), item
 * by item with durable commits. Each prompt's samples are seeded from (seed, the prompt's `id` or index,
 * sample index), so a resumed run writes byte-identical records. Each record keeps the input fields and adds
 * the sample, the model's identity, the sampling settings and the seed.
 *
 * @module
 */
import { generateForPrompts, type JsonRecord, promptOf, seedKeyOf } from "../inference/records.ts";
import { ArtifactRef, defineStep, readRecords } from "../workflow/step.ts";
import { itemsPerCommit, loadStepModel, SamplingStepParams } from "./_model.ts";

/** The `generate` step kind. */
export const generate = defineStep({
  name: "generate",
  source: import.meta.url,
  description: "Sample completions (with token ids and log-probabilities) for prompt records, resumably.",
  params: SamplingStepParams.extend({ prompts: ArtifactRef }).strict(),
  shardable: true,
  outputs: {
    samples: { kind: "records", description: "the prompt records, each with n sampled completions" },
  },
  async run(ctx) {
    const { params } = ctx;
    const prompts = await readRecords<JsonRecord>(params.prompts);
    prompts.forEach((record, i) => promptOf(record, `${params.prompts.path}: record ${i + 1}`));
    const model = await loadStepModel(ctx, params.model, params);
    ctx.log(`model ${model.identity.name} (${model.identity.sha256.slice(0, 12)}) on ${model.provider}`);
    try {
      await ctx.forEachItem({
        output: "samples",
        items: prompts,
        batchSize: itemsPerCommit(params, params.items_per_commit),
        process: (batch, start) => {
          const items = batch.map((record, i) => ({
            record,
            prompt: promptOf(record, `record ${start + i + 1}`),
            key: seedKeyOf(record, start + i),
          }));
          return generateForPrompts(model, items, params, ctx.signal);
        },
      });
    } finally {
      await model.close();
    }
  },
});
