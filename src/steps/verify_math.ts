/**
 * Step kind `verify.math`: checks MATH answers in records (gold answer + response or responses) and writes
 * each record with its verdict fields added. Several field mappings can be checked in one pass, for example
 * attempt 1 and attempt 2 of SCoRe's generated records.
 *
 * @module
 */
import { z } from "zod";
import { DEFAULT_MAPPING, type FieldMapping } from "../verify/math/mapping.ts";
import { ArtifactRef, defineStep, readRecords } from "../workflow/step.ts";

const Mapping = z.strictObject({
  answer: z.string().default(DEFAULT_MAPPING.answer),
  response: z.string().default(DEFAULT_MAPPING.response),
  problem: z.string().default(DEFAULT_MAPPING.problem!),
  correct: z.string().default(DEFAULT_MAPPING.correct),
  extracted: z.string().default(DEFAULT_MAPPING.extracted),
  reason: z.string().default(DEFAULT_MAPPING.reason),
});

/** The `verify.math` step kind. */
export const verifyMath = defineStep({
  name: "verify.math",
  source: import.meta.url,
  description:
    "Check MATH answers: add correct/extracted/reason per response, for one or more field mappings.",
  params: z.strictObject({
    input: ArtifactRef,
    checks: z.array(Mapping).min(1).default([{ ...DEFAULT_MAPPING } as z.infer<typeof Mapping>]),
    // A wall-clock guard, never a verdict: omitted, the checker's default (5 s) applies.
    time_budget_ms: z.number().positive().optional(),
    batch_size: z.number().int().positive().default(64),
  }),
  shardable: true,
  outputs: { records: { kind: "records", description: "the input records with verdict fields added" } },
  async run(ctx) {
    const { input, checks, time_budget_ms: timeBudgetMs, batch_size: batchSize } = ctx.params;
    const records = await readRecords(input);
    const mappings: FieldMapping[] = checks;
    // Loaded here, not at registration: the checker's compute engine takes about 0.3 s to import.
    const { verifyRecord } = await import("../verify/math/records.ts");
    await ctx.forEachItem({
      output: "records",
      items: records,
      batchSize,
      process: (batch, start) => {
        return Promise.resolve(batch.map((record, offset) => {
          try {
            return verifyRecord(record, mappings, { timeBudgetMs });
          } catch (error) {
            throw new Error(
              `verify.math: ${input.path} record ${start + offset + 1}: ${(error as Error).message}`,
            );
          }
        }));
      },
    });
    ctx.log(`verify.math: checked ${records.length} records with ${mappings.length} mapping(s)`);
  },
});
