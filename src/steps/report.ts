/**
 * Step kind `report`: the run's report.md, report.json and SVG training curves, from the evaluation records
 * of every method (base model, baselines, SCoRe) and the metric records of the training steps.
 *
 * @module
 */
import { join } from "node:path";
import { z } from "zod";
import type { MethodEvaluations } from "../training/evidence.ts";
import { type MetricPoint, percentInterval, renderReport, reportFigures } from "../training/report.ts";
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

/** A seed label from an artifact's matrix values (`seed=1`), its position in a list, or empty for one. */
function seedLabel(ref: ArtifactRef, index: number, count: number): string {
  if (ref.matrix) return Object.entries(ref.matrix).map(([axis, value]) => `${axis}=${value}`).join(",");
  return count > 1 ? `#${index + 1}` : "";
}

/** One evaluation, or a list of them (one per seed: the outputs of a matrix step's instances). */
const Evaluations = z.union([ArtifactRef, z.array(ArtifactRef).min(1)]);

const ReportParams = z.strictObject({
  title: z.string().default("SCoRe: self-correction results"),
  task: z.string(),
  /** Table rows in display order: a method's name and its `eval.selfcorrect` records, one or one per seed. */
  results: z.array(z.strictObject({ method: z.string(), evaluation: Evaluations })).min(1),
  /** The method whose Δ(t1,t2) is compared, paired by seed and problem, with every other row's. */
  compare: z.string().optional(),
  /** The bootstrap of the intervals: resamples and the generator's seed. */
  bootstrap: z.strictObject({
    resamples: z.number().int().min(100).default(2000),
    seed: z.number().int().default(0),
  }).default({ resamples: 2000, seed: 0 }),
  /** The `metrics` records of the training steps (of every seed). */
  curves: z.array(ArtifactRef).default([]),
  /** Settings to record in the report (hyperparameters, seeds). */
  settings: z.record(z.string(), z.unknown()).default({}),
}).superRefine((params, ctx) => {
  if (params.compare !== undefined && !params.results.some((r) => r.method === params.compare)) {
    ctx.addIssue({
      code: "custom",
      path: ["compare"],
      message: `'${params.compare}' is not a method of 'results' (methods: ${
        params.results.map((r) => r.method).join(", ")
      })`,
    });
  }
});

/** The `report` step kind. */
export const report = defineStep({
  name: "report",
  version: "2",
  source: import.meta.url,
  description:
    "Write report.md, report.json and SVG training curves comparing the base model, baselines and " +
    "SCoRe: means over seeds with bootstrap intervals and paired comparisons of Δ(t1,t2).",
  params: ReportParams,
  outputs: { report: { kind: "dir", description: "report.md, report.json and the SVG charts" } },
  async run(ctx) {
    const { title, task, settings, compare, bootstrap } = ctx.params;
    const methods: MethodEvaluations[] = [];
    for (const { method, evaluation } of ctx.params.results) {
      const refs = Array.isArray(evaluation) ? evaluation : [evaluation];
      const evaluations = [];
      for (const [i, ref] of refs.entries()) {
        const rollouts = await readValidated(ref, JudgedRollout, "a judged two-attempt rollout");
        evaluations.push({ label: seedLabel(ref, i, refs.length), pairs: verdictPairs(rollouts) });
      }
      methods.push({ method, evaluations });
    }
    const curves: MetricPoint[] = [];
    for (const ref of ctx.params.curves) {
      const seed = seedLabel(ref, 0, 1);
      const points = await readValidated(ref, MetricRecord, "a metric point");
      curves.push(...points.map((point) => (seed ? { ...point, seed } : point)));
    }
    const data = { title, task, runId: ctx.runId, methods, compare, bootstrap, curves, settings };
    const figures = reportFigures(data);
    const files = renderReport(data, figures);
    const dir = await ctx.dir("report");
    await Deno.writeTextFile(join(dir, "report.md"), files["report.md"]);
    await Deno.writeTextFile(join(dir, "report.json"), files["report.json"]);
    for (const [file, svg] of Object.entries(files.charts)) await Deno.writeTextFile(join(dir, file), svg);
    for (const result of figures.results) {
      const { accuracyT1, accuracyT2, delta } = result.metrics;
      ctx.log(
        `${result.method}: t1 ${percentInterval(accuracyT1)}, t2 ${percentInterval(accuracyT2)}, ` +
          `Δ ${percentInterval(delta)} (${result.seeds.length} seed${result.seeds.length > 1 ? "s" : ""})`,
      );
    }
  },
});
