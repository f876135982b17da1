import assert from "node:assert/strict";
import { selfCorrectionMetrics } from "./metrics.ts";
import {
  buildReport,
  chartSeries,
  comparisonTable,
  type MetricPoint,
  percent,
  type ReportData,
} from "./report.ts";

function metricsOf(codes: string) {
  return selfCorrectionMetrics(
    codes.split(" ").map((c, i) => ({ problem: `p${i}`, first: c[0] === "c", second: c[1] === "c" })),
  );
}

const curves: MetricPoint[] = [
  { stage: "stage1", name: "reward_attempt1", step: 1, value: 0.25 },
  { stage: "stage1", name: "reward_attempt2", step: 1, value: 0.5 },
  { stage: "stage1", name: "kl", step: 1, value: 0.01 },
  { stage: "stage1", name: "loss", step: 1, value: -0.4 },
  { stage: "stage1", name: "reward_attempt2", step: 2, value: 0.75 },
  { stage: "stage2", name: "reward_attempt2", step: 3, value: 0.8 },
];

const data: ReportData = {
  title: "SCoRe on toy-math",
  task: "toy-math",
  runId: "run-1",
  results: [
    { method: "base model", metrics: metricsOf("cc ci ii ii") },
    { method: "SCoRe", metrics: metricsOf("cc ic ic ii"), passAtK: { "1": 0.5 } },
  ],
  curves,
  settings: { alpha: 10, seed: 1 },
};

Deno.test("percent formats fractions like the paper's tables", () => {
  assert.equal(percent(0.526), "52.6");
  assert.equal(percent(-0.112), "-11.2");
  assert.equal(percent(-0.0001), "0.0");
});

Deno.test("comparisonTable lists every method with the five metrics in percent", () => {
  const table = comparisonTable(data.results).split("\n");
  assert.equal(table[0], "| method | Accuracy@t1 | Accuracy@t2 | Δ(t1,t2) | Δ i→c | Δ c→i | pass@1 |");
  // base: t1 2/4, t2 1/4, delta -1/4, i->c 0, c->i 1/4; no pass@k given.
  assert.equal(table[2], "| base model | 50.0 | 25.0 | -25.0 | 0.0 | 25.0 | – |");
  assert.equal(table[3], "| SCoRe | 25.0 | 75.0 | 50.0 | 50.0 | 0.0 | 50.0 |");
});

Deno.test("chartSeries groups points by stage and metric", () => {
  const series = chartSeries(curves, ["reward_attempt1", "reward_attempt2"]);
  assert.deepEqual(series.map((s) => s.name), [
    "stage1 reward_attempt1",
    "stage1 reward_attempt2",
    "stage2 reward_attempt2",
  ]);
  assert.deepEqual(series[1].points, [[1, 0.5], [2, 0.75]]);
});

Deno.test("buildReport writes the table, links every chart and keeps the data in report.json", () => {
  const files = buildReport(data);
  assert.deepEqual(Object.keys(files.charts), ["rewards.svg", "kl.svg", "loss.svg"]);
  for (const svg of Object.values(files.charts)) assert.ok(svg.startsWith("<svg"));
  assert.equal(files.charts["rewards.svg"].match(/<polyline/g)?.length, 3);
  const markdown = files["report.md"];
  assert.ok(markdown.startsWith("# SCoRe on toy-math\n"));
  assert.ok(markdown.includes("Task: toy-math; run: run-1; 4 held-out problems."));
  assert.ok(markdown.includes("| SCoRe | 25.0 | 75.0 | 50.0 | 50.0 | 0.0 | 50.0 |"));
  assert.ok(markdown.includes("![rewards](rewards.svg)"));
  assert.ok(markdown.includes('"alpha": 10'));
  const json = JSON.parse(files["report.json"]);
  assert.equal(json.results[1].metrics.accuracyT2, 0.75);
  assert.equal(json.curves.length, curves.length);
});
