/**
 * Step kind `model.init`: a tiny base model to train from scratch: random weights for a Llama config and a
 * byte-level toy tokenizer (with BPE merges learned from SFT text when `vocab_size` leaves room for them),
 * written as a Hugging Face model directory with its inference graph.
 *
 * @module
 */
import { z } from "zod";
import { LlamaConfig } from "../model/config.ts";
import { initCheckpoint } from "../model/init.ts";
import { saveModelDir } from "../training/policy.ts";
import { SftExample } from "../training/sft_example.ts";
import { ArtifactRef, defineStep, readRecords } from "../workflow/step.ts";

/** The `model.init` step kind. */
export const modelInit = defineStep({
  name: "model.init",
  source: import.meta.url,
  description: "Create a tiny Llama model: random weights and a toy tokenizer, as a Hugging Face directory.",
  params: z.strictObject({
    /** The model's config.json fields (model_type, sizes, vocab_size, ...); unknown fields are rejected. */
    config: z.strictObject(LlamaConfig.shape),
    /** SFT records whose text teaches the tokenizer's merges (used when vocab_size exceeds the 259 bytes). */
    corpus: ArtifactRef.optional(),
    seed: z.number().int().default(0),
  }),
  outputs: {
    model: { kind: "dir", description: "config.json, model.safetensors, tokenizer, onnx/model.onnx" },
  },
  async run(ctx) {
    const { config, corpus, seed } = ctx.params;
    const text = corpus
      ? (await readRecords(corpus)).map((r) => corpusText(SftExample.parse(r))).join("\n")
      : undefined;
    const policy = initCheckpoint(config, { seed, corpus: text });
    const dir = await ctx.dir("model");
    await saveModelDir(dir, policy);
    ctx.log(
      `model.init: ${config.num_hidden_layers} layers x ${config.hidden_size}, vocab ${config.vocab_size}, seed ${seed}`,
    );
  },
});

function corpusText(example: SftExample): string {
  return [example.problem, example.attempt1 ?? "", example.completion].join("\n");
}
