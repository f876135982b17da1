/**
 * Step kind `correct`: SCoRe's second attempt. For each first-attempt record (the output of `generate`,
 * possibly annotated by a verifier) it builds the context [problem, attempt 1, instruction], with the
 * verifier's feedback before the instruction when `feedback_field` names one, and samples attempt 2.
 *
 * Each output record keeps the input's fields, moves attempt 1's sample under `attempt1`, and puts attempt 2's
 * sample in the usual fields (`completion`, `token_ids`, `logprobs`, ...) so the same verifier steps read it.
 *
 * @module
 */
import { z } from "zod";
import {
  DEFAULT_CORRECTION_INSTRUCTION,
  feedbackText,
  secondAttemptPrompt,
} from "../inference/correction.ts";
import { generateForPrompts, type JsonRecord, promptOf } from "../inference/records.ts";
import { ArtifactRef, defineStep, readRecords } from "../workflow/step.ts";
import { itemsPerCommit, loadStepModel, SamplingStepParams } from "./_model.ts";

/** Fields of a first-attempt record that describe its sample; they move under `attempt1`. */
const SAMPLE_FIELDS = [
  "completion",
  "token_ids",
  "logprobs",
  "raw_logprobs",
  "finish_reason",
  "stop_string",
  "sample_index",
  "model",
  "provider",
  "sampling",
  "seed",
  "seed_key",
] as const;

/** Splits a first-attempt record into the problem's fields and attempt 1's sample. */
function splitAttempt(record: JsonRecord): { problem: JsonRecord; attempt1: JsonRecord } {
  const problem: JsonRecord = {};
  const attempt1: JsonRecord = {};
  for (const [key, value] of Object.entries(record)) {
    if ((SAMPLE_FIELDS as readonly string[]).includes(key)) attempt1[key] = value;
    else problem[key] = value;
  }
  return { problem, attempt1 };
}

/** The `correct` step kind. */
export const correct = defineStep({
  name: "correct",
  source: import.meta.url,
  description: "SCoRe second attempt: sample a revision from [problem, attempt 1, (feedback), instruction].",
  params: SamplingStepParams.extend({
    attempts: ArtifactRef,
    instruction: z.string().min(1).default(DEFAULT_CORRECTION_INSTRUCTION),
    /** A field of the attempt records holding verifier feedback to show (for example `feedback`). */
    feedback_field: z.string().min(1).optional(),
  }).strict(),
  shardable: true,
  outputs: {
    samples: { kind: "records", description: "attempt-2 records, attempt 1 kept under `attempt1`" },
  },
  async run(ctx) {
    const params = ctx.params;
    const attempts = await readRecords<JsonRecord>(params.attempts);
    attempts.forEach((record, i) => {
      const where = `${params.attempts.path}: record ${i + 1}`;
      promptOf(record, where);
      if (typeof record.completion !== "string") {
        throw new Error(
          `${where}: needs a string "completion" (attempt 1); feed it the output of a generate step`,
        );
      }
    });
    const model = await loadStepModel(ctx, params.model, params);
    try {
      await ctx.forEachItem({
        output: "samples",
        items: attempts,
        batchSize: itemsPerCommit(params, params.items_per_commit),
        process: async (batch, start) => {
          const items = batch.map((record, i) => {
            const { problem, attempt1 } = splitAttempt(record);
            const feedback = params.feedback_field ? feedbackText(record[params.feedback_field]) : undefined;
            const first = promptOf(record, `record ${start + i + 1}`);
            return {
              record: { ...problem, attempt1 },
              prompt: secondAttemptPrompt(first, record.completion as string, params.instruction, feedback),
              // the attempt's own seed key and sample index keep two samples of one problem apart
              key: `${String(record.seed_key ?? start + i)}#${String(record.sample_index ?? 0)}`,
            };
          });
          return await generateForPrompts(model, items, params, ctx.signal);
        },
      });
    } finally {
      await model.close();
    }
  },
});
