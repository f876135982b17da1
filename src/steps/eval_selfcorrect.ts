/**
 * Step kind `eval.selfcorrect`: the two-attempt evaluation. For each problem, attempt 1 from the problem's
 * prompt, then attempt 2 from [problem, attempt 1, instruction], both greedy by default and both judged by the
 * task's verifier. Writes one judged rollout per problem and the paper's metrics (Accuracy@t1, Accuracy@t2,
 * delta, delta i->c, delta c->i), as records and as `eval/...` run metrics. With a temperature above 0 it
 * doubles as the sampler of the base model's rollouts that STaR and Pair-SFT learn from.
 *
 * @module
 */
import { join } from "node:path";
import { readJsonl } from "../data/jsonl.ts";
import { z } from "zod";
import { selfCorrectionMetrics } from "../training/metrics.ts";
import { loadPolicy, openGenerationModel } from "../training/policy.ts";
import { PromptEncoder, PromptSettings } from "../training/prompts.ts";
import { JudgedRollout, verdictPairs } from "../training/rollout.ts";
import { RolloutMemoryBudgetMb, type SampledRollout, sampleRollouts } from "../training/two_attempts.ts";
import { ProblemFields, readProblems, TaskName, verifierFor } from "../training/verifiers.ts";
import { ArtifactRef, defineStep, readRecords } from "../workflow/step.ts";
import { ModelParam, modelPath, ProviderParam } from "./_model.ts";

/** The `eval.selfcorrect` step kind. */
export const evalSelfcorrect = defineStep({
  name: "eval.selfcorrect",
  source: import.meta.url,
  description: "Two-attempt self-correction evaluation (greedy by default) with Accuracy@t1/t2 and deltas.",
  params: z.strictObject({
    model: ModelParam,
    problems: ArtifactRef,
    task: TaskName.default("math"),
    fields: ProblemFields.default(ProblemFields.parse({})),
    prompts: PromptSettings,
    /** 0 = greedy (the paper's evaluation). */
    temperature: z.number().min(0).default(0),
    max_new_tokens: z.number().int().positive().default(256),
    batch_size: z.number().int().positive().default(32),
    memory_budget_mb: RolloutMemoryBudgetMb,
    /** Problems per durable commit. */
    items_per_commit: z.number().int().positive().default(64),
    seed: z.number().int().default(0),
    provider: ProviderParam,
    /** Prefix of the run metrics, for example `eval/base`. */
    metric_prefix: z.string().default("eval"),
  }),
  shardable: true,
  outputs: {
    rollouts: { kind: "records", description: "one judged two-attempt rollout per problem" },
    metrics: { kind: "records", description: "one record: Accuracy@t1/t2, delta, delta i->c, delta c->i" },
  },
  async run(ctx) {
    const params = ctx.params;
    const problems = readProblems(await readRecords<Record<string, unknown>>(params.problems), params.fields);
    const policy = await loadPolicy(modelPath(params.model));
    const encoder = new PromptEncoder(policy);
    const verifier = await verifierFor(params.task, params.fields);
    const model = await openGenerationModel(policy, join(ctx.workDir, "generation"), {
      provider: params.provider,
      log: (message) => ctx.log(message),
    });
    try {
      await ctx.forEachItem({
        output: "rollouts",
        items: problems,
        batchSize: params.items_per_commit,
        process: async (batch) => {
          const rollouts = await sampleRollouts(batch, {
            policy: model,
            encoder,
            verifier,
            prompts: params.prompts,
          }, {
            temperature: params.temperature,
            maxNewTokens: params.max_new_tokens,
            samples: 1,
            seed: params.seed,
            batchSize: params.batch_size,
            round: "eval",
            memoryBudgetBytes: params.memory_budget_mb * 1024 * 1024,
          }, { signal: ctx.signal });
          return rollouts.map(rolloutRecord);
        },
      });
    } finally {
      await model.close();
      await verifier.close?.();
    }
    const rollouts = (await readJsonl(committedRecordsPath(ctx.workDir, "rollouts"))).map((r) =>
      JudgedRollout.parse(r)
    );
    const metrics = selfCorrectionMetrics(verdictPairs(rollouts));
    for (const [name, value] of Object.entries(metrics)) ctx.metric(`${params.metric_prefix}/${name}`, value);
    await (await ctx.records("metrics")).write(metrics);
    ctx.log(
      `eval.selfcorrect: t1 ${metrics.accuracyT1.toFixed(3)}, t2 ${
        metrics.accuracyT2.toFixed(3)
      } on ${metrics.problems}`,
    );
  },
});

/**
 * Where the engine keeps a `records` output of this step (the run layout of workflow/artifacts.ts:
 * `steps/<id>/{work,out/<name>.jsonl}`): read back after `forEachItem`, which may have skipped batches that
 * an earlier attempt committed.
 */
function committedRecordsPath(workDir: string, output: string): string {
  return join(workDir, "..", "out", `${output}.jsonl`);
}

/** The record of one rollout: the problem, both attempts with verdicts (without token ids). */
export function rolloutRecord(rollout: SampledRollout): JudgedRollout {
  const attempt = (a: SampledRollout["attempt1"]) => ({
    text: a.text,
    correct: a.correct,
    extracted: a.extracted ?? null,
    reason: a.reason ?? "",
  });
  return {
    id: rollout.problem.id,
    problem: rollout.problem.statement,
    attempt1: attempt(rollout.attempt1),
    attempt2: attempt(rollout.attempt2!),
  };
}
