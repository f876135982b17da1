import assert from "node:assert/strict";
import type { Evaluation, MethodEvaluations } from "./evidence.ts";
import {
  buildReport,
  chartSeries,
  comparisonTable,
  type MetricPoint,
  pairedTable,
  percent,
  percentInterval,
  type ReportData,
  reportFigures,
} from "./report.ts";

function evaluation(label: string, codes: string): Evaluation {
  return {
    label,
    pairs: codes.split(" ").map((c, i) => ({ problem: `p${i}`, first: c[0] === "c", second: c[1] === "c" })),
  };
}

function method(name: string, ...seeds: [string, string][]): MethodEvaluations {
  return { method: name, evaluations: seeds.map(([label, codes]) => evaluation(label, codes)) };
}

const curves: MetricPoint[] = [
  { stage: "stage1", name: "reward_attempt1", step: 1, value: 0.25 },
  { stage: "stage1", name: "reward_attempt2", step: 1, value: 0.5 },
  { stage: "stage1", name: "kl", step: 1, value: 0.01 },
  { stage: "stage1", name: "loss", step: 1, value: -0.4 },
  { stage: "stage1", name: "reward_attempt2", step: 2, value: 0.75 },
  { stage: "stage2", name: "reward_attempt2", step: 3, value: 0.8 },
];

const oneSeed: ReportData = {
  title: "SCoRe on toy-math",
  task: "toy-math",
  runId: "run-1",
  methods: [method("base model", ["", "cc ci ii ii"]), method("SCoRe", ["", "cc ic ic ii"])],
  compare: "SCoRe",
  bootstrap: { resamples: 1000, seed: 0 },
  curves,
  settings: { alpha: 10, seed: 1 },
};

Deno.test("percent formats fractions like the paper's tables", () => {
  assert.equal(percent(0.526), "52.6");
  assert.equal(percent(-0.112), "-11.2");
  assert.equal(percent(-0.0001), "0.0");
  assert.equal(percentInterval({ estimate: 0.42, low: 0.355, high: 0.4851 }), "42.0 [35.5, 48.5]");
});

Deno.test("comparisonTable lists every method with the five metrics and their intervals", () => {
  const { results } = reportFigures(oneSeed);
  const table = comparisonTable(results).split("\n");
  assert.equal(table[0], "| method | Accuracy@t1 | Accuracy@t2 | Δ(t1,t2) | Δ i→c | Δ c→i |");
  // base: t1 2/4, t2 1/4, delta -1/4, i->c 0, c->i 1/4
  assert.match(
    table[2],
    /^\| base model \| 50\.0 \[\S+, \S+\] \| 25\.0 \[.*\] \| -25\.0 \[.*\] \| 0\.0 \[0\.0, 0\.0\] \| 25\.0 \[/,
  );
  assert.match(
    table[3],
    /^\| SCoRe \| 25\.0 \[.*\] \| 75\.0 \[.*\] \| 50\.0 \[.*\] \| 50\.0 \[.*\] \| 0\.0 \[0\.0, 0\.0\] \|$/,
  );
});

Deno.test("pairedTable gives the Δ difference, its interval and where it lies against 0", () => {
  const { comparisons } = reportFigures(oneSeed);
  assert.equal(comparisons.length, 1);
  assert.equal(comparisons[0].difference.estimate, 0.75);
  const table = pairedTable(comparisons).split("\n");
  assert.equal(
    table[0],
    "| comparison | Δ(t1,t2) difference | 95% interval | interval vs 0 | (seed, problem) pairs |",
  );
  assert.match(table[2], /^\| SCoRe − base model \| 75\.0 \| \[\S+, \S+\] \| (above|includes) 0 \| 4 \|$/);
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

Deno.test("chartSeries averages the curves of several seeds per update", () => {
  const seeded: MetricPoint[] = [
    { stage: "stage1", name: "kl", step: 1, value: 0.1, seed: "seed=0" },
    { stage: "stage1", name: "kl", step: 2, value: 0.2, seed: "seed=0" },
    { stage: "stage1", name: "kl", step: 1, value: 0.3, seed: "seed=1" },
  ];
  const [series] = chartSeries(seeded, ["kl"]);
  assert.equal(series.name, "stage1 kl (mean of 2 seeds)");
  assert.deepEqual(series.points.map(([x, y]) => [x, Number(y.toFixed(12))]), [[1, 0.2], [2, 0.2]]);
});

Deno.test("buildReport writes the tables, links every chart and keeps the figures in report.json", () => {
  const files = buildReport(oneSeed);
  assert.deepEqual(Object.keys(files.charts), ["rewards.svg", "kl.svg", "loss.svg"]);
  for (const svg of Object.values(files.charts)) assert.ok(svg.startsWith("<svg"));
  assert.equal(files.charts["rewards.svg"].match(/<polyline/g)?.length, 3);
  const markdown = files["report.md"];
  assert.ok(markdown.startsWith("# SCoRe on toy-math\n"));
  assert.ok(markdown.includes("Task: toy-math; run: run-1; 4 held-out problems; one seed."), markdown);
  assert.ok(markdown.includes("percentile bootstrap with 1000 resamples"), markdown);
  assert.ok(markdown.includes("## SCoRe's Δ(t1,t2) against the other methods"));
  assert.ok(!markdown.includes("per seed"), "one seed: no per-seed table");
  assert.ok(markdown.includes("![rewards](rewards.svg)"));
  assert.ok(markdown.includes('"alpha": 10'));
  const json = JSON.parse(files["report.json"]);
  assert.equal(json.results[1].metrics.accuracyT2.estimate, 0.75);
  assert.equal(json.results[1].perSeed[0].accuracyT2, 0.75);
  assert.deepEqual(Object.keys(json.bootstrap), ["method", "resamples", "seed", "confidence"]);
  assert.equal(json.comparisons[0].against, "base model");
  assert.equal(json.curves.length, curves.length);
});

Deno.test("buildReport over several seeds: means, a per-seed table, and no comparison without compare", () => {
  const data: ReportData = {
    ...oneSeed,
    compare: undefined,
    methods: [
      method("base model", ["seed=0", "cc ci ii ii"], ["seed=1", "cc ii ii ic"]),
      method("SCoRe", ["seed=0", "cc ic ic ii"], ["seed=1", "ci ic cc ii"]),
    ],
  };
  const markdown = buildReport(data)["report.md"];
  assert.ok(markdown.includes("4 held-out problems; 2 seeds (seed=0, seed=1)."), markdown);
  assert.ok(
    markdown.includes("| method | seed=0 | seed=1 |\n| --- | --- | --- |\n| base model | -25.0 | 25.0 |"),
  );
  assert.ok(markdown.includes("| SCoRe | 50.0 | 0.0 |"));
  assert.match(markdown, /\| base model \| 37\.5 \[.*\] \| 37\.5 \[/);
  assert.ok(!markdown.includes("against the other methods"));
  assert.ok(markdown.includes("With 2 seeds the seed part of the resampling is coarse"));
});

Deno.test("reportFigures refuses a compare that names no method", () => {
  assert.throws(
    () => reportFigures({ ...oneSeed, compare: "SCoRE" }),
    /compare names 'SCoRE'.*methods: base model, SCoRe/,
  );
});
