/**
 * Step kind `report`: the run's report.md, report.json and SVG training curves, from the evaluation records
 * of every method (base model, baselines, SCoRe) and the metric records of the training steps.
 *
 * @module
 */
import { join } from "node:path";
import { z } from "zod";
import { selfCorrectionMetrics } from "../training/metrics.ts";
import { buildReport, type MethodResult, type MetricPoint } from "../training/report.ts";
import { JudgedRollout, verdictPairs } from "../training/rollout.ts";
import { ArtifactRef, defineStep, readRecords } from "../workflow/step.ts";

/** A training metric record as the training steps write it. */
const MetricRecord = z.object({ stage: z.string(), name: z.string(), step: z.number(), value: z.number() });

/** Reads and validates the records of an artifact, naming the artifact and record on failure. */
async function readValidated<T>(ref: ArtifactRef, schema: z.ZodType<T>, what: string): Promise<T[]> {
  const raw = await readRecords(ref);
  return raw.map((record, i) => {
    const parsed = schema.safeParse(record);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(
        `report: record ${i + 1} of ${ref.step}.${ref.output} is not ${what}: ${
          issue.path.join(".") || "(root)"
        }: ` +
          `${issue.message}`,
      );
    }
    return parsed.data;
  });
}

/** The `report` step kind. */
export const report = defineStep({
  name: "report",
  version: "1",
  source: import.meta.url,
  description:
    "Write report.md, report.json and SVG training curves comparing the base model, baselines and SCoRe.",
  params: z.strictObject({
    title: z.string().default("SCoRe: self-correction results"),
    task: z.string(),
    /** Table rows in display order: a method's name and its `eval.selfcorrect` records. */
    results: z.array(z.strictObject({ method: z.string(), evaluation: ArtifactRef })).min(1),
    /** The `metrics` records of the training steps. */
    curves: z.array(ArtifactRef).default([]),
    /** Settings to record in the report (hyperparameters, seeds). */
    settings: z.record(z.string(), z.unknown()).default({}),
  }),
  outputs: { report: { kind: "dir", description: "report.md, report.json and the SVG charts" } },
  async run(ctx) {
    const { title, task, settings } = ctx.params;
    const results: MethodResult[] = [];
    for (const { method, evaluation } of ctx.params.results) {
      const rollouts = await readValidated(evaluation, JudgedRollout, "a judged two-attempt rollout");
      results.push({ method, metrics: selfCorrectionMetrics(verdictPairs(rollouts)) });
    }
    const curves: MetricPoint[] = [];
    for (const ref of ctx.params.curves) {
      curves.push(...await readValidated(ref, MetricRecord, "a metric point"));
    }
    const files = buildReport({ title, task, runId: ctx.runId, results, curves, settings });
    const dir = await ctx.dir("report");
    await Deno.writeTextFile(join(dir, "report.md"), files["report.md"]);
    await Deno.writeTextFile(join(dir, "report.json"), files["report.json"]);
    for (const [file, svg] of Object.entries(files.charts)) await Deno.writeTextFile(join(dir, file), svg);
    for (const result of results) {
      ctx.log(
        `${result.method}: t1 ${result.metrics.accuracyT1.toFixed(3)}, t2 ${
          result.metrics.accuracyT2.toFixed(3)
        }`,
      );
    }
  },
});
