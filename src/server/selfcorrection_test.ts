import assert from "node:assert/strict";
import { selfCorrectionMetrics } from "../training/metrics.ts";
import { describeMetric } from "./metric_catalog.ts";
import type { StepSummary } from "./schemas.ts";
import { selfCorrectionTable } from "./selfcorrection.ts";
import { matrixValues } from "./summaries.ts";
import { newestPoints, stepFixture } from "./testing.ts";

/** A finished eval step whose newest metrics are `metrics` (name → value). */
function step(id: string, metrics: Record<string, number>): StepSummary {
  return stepFixture(id, { kind: "eval.selfcorrect", metrics: newestPoints(metrics) });
}

/** The metrics eval.selfcorrect records under `prefix` for verdict pairs (first, second) per problem. */
function evaluation(prefix: string, verdicts: [boolean, boolean][]): Record<string, number> {
  const metrics = selfCorrectionMetrics(
    verdicts.map(([first, second], i) => ({ problem: `p${i}`, first, second })),
  );
  return Object.fromEntries(Object.entries(metrics).map(([key, value]) => [`${prefix}/${key}`, value]));
}

Deno.test("describeMetric: families, labels and directions come from the metric's key", () => {
  assert.deepEqual(describeMetric("stage1/reward_attempt2"), {
    scope: "stage1",
    key: "reward_attempt2",
    family: "reward",
    label: "attempt 2",
    direction: "higher",
    unit: "number",
    table: false,
  });
  assert.equal(describeMetric("stage2/kl").direction, "lower");
  assert.equal(describeMetric("score/tokens_per_second").unit, "per_second");
  assert.deepEqual(
    [describeMetric("eval/base/correctToIncorrect").direction, describeMetric("eval/base/delta").direction],
    ["lower", "higher"],
  );
  assert.deepEqual(describeMetric("custom_thing"), {
    scope: "",
    key: "custom_thing",
    family: "custom_thing",
    label: "custom_thing",
    direction: "none",
    unit: "number",
    table: false,
  });
});

Deno.test("selfCorrectionTable: one row per method, matrix instances with their mean, evaluations first", () => {
  const table = selfCorrectionTable([
    step("base_rollouts", evaluation("rollouts/base", [[true, false], [false, false]])),
    step("eval_base", evaluation("eval/base", [[true, true], [true, false], [false, false], [false, true]])),
    step("stage1", { "stage1/kl": 0.1 }),
    step(
      "eval_score[seed=0]",
      evaluation("eval/score", [[true, true], [false, true], [false, false], [true, true]]),
    ),
    step(
      "eval_score[seed=1]",
      evaluation("eval/score", [[true, true], [false, false], [false, false], [true, false]]),
    ),
    step("eval_plain", evaluation("eval", [[true, true]])),
  ]);
  assert.deepEqual(table.columns.map((c) => [c.label, c.direction, c.signed]), [
    ["Accuracy@t1", "higher", false],
    ["Accuracy@t2", "higher", false],
    ["Δ(t1,t2)", "higher", true],
    ["Δ i→c", "higher", false],
    ["Δ c→i", "lower", false],
  ]);
  assert.deepEqual(table.rows.map((r) => [r.method, r.step, r.evaluation, r.instances.length]), [
    ["base", "eval_base", true, 1],
    ["score", "eval_score", true, 2],
    ["eval_plain", "eval_plain", true, 1],
    ["rollouts/base", "base_rollouts", false, 1],
  ]);
  const [base, score] = table.rows;
  assert.deepEqual(base.instances[0], {
    step: "eval_base",
    matrix: {},
    problems: 4,
    values: {
      accuracyT1: 0.5,
      accuracyT2: 0.5,
      delta: 0,
      incorrectToCorrect: 0.25,
      correctToIncorrect: 0.25,
    },
  });
  assert.equal(base.mean, null);
  assert.deepEqual(score.instances.map((i) => [i.step, i.matrix]), [
    ["eval_score[seed=0]", { seed: "0" }],
    ["eval_score[seed=1]", { seed: "1" }],
  ]);
  assert.deepEqual(score.mean, {
    accuracyT1: 0.5,
    accuracyT2: 0.5,
    delta: 0,
    incorrectToCorrect: 0.125,
    correctToIncorrect: 0.125,
  });
});

Deno.test("matrixValues reads an instance id's axis values", () => {
  assert.deepEqual(matrixValues("base[seed=1,lr=0.0001]"), { seed: "1", lr: "0.0001" });
  assert.deepEqual(matrixValues("base"), {});
});
