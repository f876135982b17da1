/**
 * Step kind `baseline.data`: the SFT data of the paper's fine-tuning baselines, from the base model's judged
 * two-attempt rollouts (the `rollouts` output of `eval.selfcorrect`): `star` keeps the traces that end right
 * (D+ also keeps right-to-right ones), `pair_sft` joins incorrect first attempts to correct responses; with
 * `first_attempt_rows` (the default) the base model's right first attempts are added as `solution` records, so
 * the baseline's attempt 1 stays near the base model's.
 *
 * @module
 */
import { z } from "zod";
import { firstAttemptExamples, pairSftExamples, starExamples } from "../training/baselines.ts";
import { JudgedRollout } from "../training/rollout.ts";
import { ArtifactRef, defineStep, readRecords } from "../workflow/step.ts";

/** The `baseline.data` step kind. */
export const baselineData = defineStep({
  name: "baseline.data",
  version: "2",
  source: import.meta.url,
  description: "Build STaR (D+) or Pair-SFT training data from the base model's judged rollouts.",
  params: z.strictObject({
    method: z.enum(["star", "pair_sft"]),
    rollouts: z.array(ArtifactRef).min(1),
    /** STaR: also keep correct-to-correct traces (D+, the paper's reported variant). */
    keep_correct_to_correct: z.boolean().default(true),
    /** Pair-SFT: problems' records with gold solutions, used when the base model never got a problem right. */
    gold: ArtifactRef.optional(),
    /** Pair-SFT: the field of the gold records holding the solution. */
    gold_field: z.string().default("solution"),
    max_pairs_per_problem: z.number().int().positive().default(4),
    /** Also train attempt 1 on the base model's right first attempts (keeps t1 near the base model's). */
    first_attempt_rows: z.boolean().default(true),
  }),
  outputs: {
    examples: {
      kind: "records",
      description: "SFT trace records ({id, kind, problem, attempt1, completion})",
    },
  },
  async run(ctx) {
    const params = ctx.params;
    const rollouts = (await Promise.all(params.rollouts.map((ref) => readRecords(ref)))).flat()
      .map((record) => JudgedRollout.parse(record));
    const traces = params.method === "star"
      ? starExamples(rollouts, params.keep_correct_to_correct)
      : pairSftExamples(rollouts, {
        goldSolutions: params.gold ? await goldSolutions(params.gold, params.gold_field) : undefined,
        maxPairsPerProblem: params.max_pairs_per_problem,
      });
    const firsts = params.first_attempt_rows ? firstAttemptExamples(rollouts) : [];
    const examples = [...traces, ...firsts];
    if (examples.length === 0) {
      throw new Error(
        `baseline.data: ${params.method} found no training examples in ${rollouts.length} rollouts; ` +
          `sample more rollouts or give gold solutions`,
      );
    }
    await (await ctx.records("examples")).writeAll(examples);
    ctx.log(
      `baseline.data: ${traces.length} ${params.method} traces and ${firsts.length} first-attempt rows ` +
        `from ${rollouts.length} rollouts`,
    );
  },
});

async function goldSolutions(ref: ArtifactRef, field: string): Promise<Map<string, string>> {
  const records = await readRecords<Record<string, unknown>>(ref);
  const gold = new Map<string, string>();
  for (const record of records) {
    if (typeof record.id === "string" && typeof record[field] === "string") {
      gold.set(record.id, record[field] as string);
    }
  }
  return gold;
}
