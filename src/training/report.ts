/**
 * The run report: report.md, report.json and the SVG training curves, built from data as plain strings.
 *
 * The comparison table follows the paper's tables: one row per method (base model, baselines, SCoRe), with
 * Accuracy@t1, Accuracy@t2, Δ(t1,t2), Δ i→c and Δ c→i in percent of all held-out problems. Each cell is the
 * mean over the method's seeds with a 95% bootstrap interval over seeds and problems (`evidence.ts`); with
 * one seed the interval is over problems only. A second table compares one method's Δ(t1,t2) (for example
 * SCoRe's, named by `compare`) with every other method's, paired by seed and problem.
 *
 * @module
 */
import type { BootstrapOptions, Interval } from "./bootstrap.ts";
import {
  compareDeltas,
  type DeltaComparison,
  type MethodEvaluations,
  type MethodEvidence,
  methodEvidence,
  METRIC_NAMES,
  type MetricName,
} from "./evidence.ts";
import { lineChartSvg, type Series } from "./svg.ts";

/** Names under which training steps record their per-update metrics (ctx.metric), read back by the report. */
export const TRAINING_METRICS = {
  rewardAttempt1: "reward_attempt1",
  rewardAttempt2: "reward_attempt2",
  kl: "kl",
  loss: "loss",
  tokensPerSecond: "tokens_per_second",
} as const;

/** One recorded value of a training metric. */
export interface MetricPoint {
  /** The training step that recorded it, for example "stage1". */
  stage: string;
  /** The metric's name, see {@link TRAINING_METRICS}. */
  name: string;
  /** The update index. */
  step: number;
  value: number;
  /** The seed of the run that recorded it (for example `seed=1`), when the report covers several. */
  seed?: string;
}

/** Everything a report shows. */
export interface ReportData {
  title: string;
  /** The task's name, for example "toy-math". */
  task: string;
  runId?: string;
  /** Table rows in display order: each method's evaluations, one per seed. */
  methods: readonly MethodEvaluations[];
  /** The method whose Δ(t1,t2) is compared with every other row's (paired); no comparison when absent. */
  compare?: string;
  /** Resamples and generator seed of the bootstrap. */
  bootstrap: BootstrapOptions;
  /** Training metrics of every training step. */
  curves: readonly MetricPoint[];
  /** Settings worth recording (hyperparameters, seeds, model sizes). */
  settings: Record<string, unknown>;
}

/** The figures a report shows, computed from {@link ReportData}. */
export interface ReportFigures {
  results: MethodEvidence[];
  comparisons: DeltaComparison[];
}

/** The files of a report, by file name. */
export interface ReportFiles {
  "report.md": string;
  "report.json": string;
  /** SVG charts by file name (also linked from report.md). */
  charts: Record<string, string>;
}

/** A chart of the report: which metrics it overlays. */
interface ChartSpec {
  file: string;
  title: string;
  yLabel: string;
  metrics: readonly string[];
}

const CHARTS: readonly ChartSpec[] = [
  {
    file: "rewards.svg",
    title: "Training reward of each attempt",
    yLabel: "mean reward",
    metrics: [TRAINING_METRICS.rewardAttempt1, TRAINING_METRICS.rewardAttempt2],
  },
  {
    file: "kl.svg",
    title: "KL to the base model (k3, per token)",
    yLabel: "KL",
    metrics: [TRAINING_METRICS.kl],
  },
  { file: "loss.svg", title: "Training loss", yLabel: "loss", metrics: [TRAINING_METRICS.loss] },
];

const COLUMNS: Record<MetricName, string> = {
  accuracyT1: "Accuracy@t1",
  accuracyT2: "Accuracy@t2",
  delta: "Δ(t1,t2)",
  incorrectToCorrect: "Δ i→c",
  correctToIncorrect: "Δ c→i",
};

/** Formats a fraction as a percentage with one decimal, as in the paper's tables ("-0.0" shown as "0.0"). */
export function percent(fraction: number): string {
  const text = (fraction * 100).toFixed(1);
  return text === "-0.0" ? "0.0" : text;
}

/** An interval in percent: `42.0 [35.5, 48.5]`. */
export function percentInterval(interval: Interval): string {
  return `${percent(interval.estimate)} [${percent(interval.low)}, ${percent(interval.high)}]`;
}

/** Computes every method's evidence and the paired comparisons with `data.compare`. */
export function reportFigures(data: ReportData): ReportFigures {
  const results = data.methods.map((method) => methodEvidence(method, data.bootstrap));
  if (data.compare === undefined) return { results, comparisons: [] };
  const compared = data.methods.find((m) => m.method === data.compare);
  if (!compared) {
    throw new Error(
      `report: compare names '${data.compare}', which is not a method of the table ` +
        `(methods: ${data.methods.map((m) => m.method).join(", ")})`,
    );
  }
  const comparisons = data.methods.filter((m) => m !== compared).map((other) =>
    compareDeltas(compared, other, data.bootstrap)
  );
  return { results, comparisons };
}

function markdownTable(header: readonly string[], rows: readonly string[][]): string {
  return [header, header.map(() => "---"), ...rows].map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

/** The comparison table in Markdown: every metric's mean over seeds with its interval, in percent. */
export function comparisonTable(results: readonly MethodEvidence[]): string {
  const rows = results.map((r) => [
    escapeCell(r.method),
    ...METRIC_NAMES.map((name) => percentInterval(r.metrics[name])),
  ]);
  return markdownTable(["method", ...METRIC_NAMES.map((name) => COLUMNS[name])], rows);
}

/** Δ(t1,t2) of every method in every seed, in percent (for reports over several seeds). */
export function perSeedTable(results: readonly MethodEvidence[]): string {
  const seeds = [...new Set(results.flatMap((r) => r.seeds))];
  const rows = results.map((r) => [
    escapeCell(r.method),
    ...seeds.map((seed) => {
      const i = r.seeds.indexOf(seed);
      return i < 0 ? "–" : percent(r.perSeed[i].delta);
    }),
  ]);
  return markdownTable(["method", ...seeds.map(escapeCell)], rows);
}

/** Where an interval lies relative to zero. */
function sideOfZero(interval: Interval): string {
  return interval.low > 0 ? "above 0" : interval.high < 0 ? "below 0" : "includes 0";
}

/** The paired comparisons in Markdown. */
export function pairedTable(comparisons: readonly DeltaComparison[]): string {
  const rows = comparisons.map((c) => [
    `${escapeCell(c.method)} − ${escapeCell(c.against)}`,
    percent(c.difference.estimate),
    `[${percent(c.difference.low)}, ${percent(c.difference.high)}]`,
    sideOfZero(c.difference),
    String(c.pairs),
  ]);
  return markdownTable(
    ["comparison", "Δ(t1,t2) difference", "95% interval", "interval vs 0", "(seed, problem) pairs"],
    rows,
  );
}

/**
 * The series of a chart: one per (training stage, metric) that has points. Points of several seeds are
 * averaged per update (over the seeds that recorded it), and the series says how many seeds it averages.
 */
export function chartSeries(curves: readonly MetricPoint[], metrics: readonly string[]): Series[] {
  const groups = new Map<string, { seeds: Set<string>; byStep: Map<number, number[]> }>();
  for (const point of curves) {
    if (!metrics.includes(point.name)) continue;
    const key = `${point.stage} ${point.name}`;
    let group = groups.get(key);
    if (!group) groups.set(key, group = { seeds: new Set(), byStep: new Map() });
    group.seeds.add(point.seed ?? "");
    const values = group.byStep.get(point.step) ?? [];
    values.push(point.value);
    group.byStep.set(point.step, values);
  }
  return [...groups].map(([key, group]) => ({
    name: group.seeds.size > 1 ? `${key} (mean of ${group.seeds.size} seeds)` : key,
    points: [...group.byStep].map((
      [step, values],
    ) => [step, values.reduce((a, b) => a + b, 0) / values.length]),
  }));
}

/** The SVG training charts by file name. */
export function trainingCharts(curves: readonly MetricPoint[]): Record<string, string> {
  const charts: Record<string, string> = {};
  for (const spec of CHARTS) {
    const series = chartSeries(curves, spec.metrics);
    charts[spec.file] = lineChartSvg({ title: spec.title, xLabel: "update", yLabel: spec.yLabel, series });
  }
  return charts;
}

/** How the intervals were computed, in one sentence. */
export function bootstrapMethod(options: BootstrapOptions): string {
  return `percentile bootstrap with ${options.resamples} resamples; each resample draws the seeds with ` +
    `replacement, then each drawn seed's problems with replacement (with one seed, only the problems); ` +
    `generator seed ${options.seed}`;
}

/** Below this many seeds, resampling seeds shows seed-to-seed variation only coarsely. */
const FEW_SEEDS = 5;

function fewSeedsNote(results: readonly MethodEvidence[]): string {
  const seeds = Math.max(...results.map((r) => r.seeds.length));
  return seeds > 1 && seeds < FEW_SEEDS
    ? ` With ${seeds} seeds the seed part of the resampling is coarse, so the intervals may be too narrow.`
    : "";
}

function problemsLine(results: readonly MethodEvidence[]): string {
  const counts = [...new Set(results.flatMap((r) => r.perSeed.map((m) => m.problems)))];
  return counts.length === 1 ? `${counts[0]} held-out problems` : `${counts.join(" / ")} held-out problems`;
}

function seedsLine(results: readonly MethodEvidence[]): string {
  const seeds = [...new Set(results.flatMap((r) => r.seeds))].filter((s) => s !== "");
  return seeds.length === 0
    ? "one seed"
    : `${seeds.length} seed${seeds.length > 1 ? "s" : ""} (${seeds.join(", ")})`;
}

/** report.md: the comparison table with intervals, the paired comparisons, the charts and the settings. */
export function reportMarkdown(
  data: ReportData,
  figures: ReportFigures,
  chartFiles: readonly string[],
): string {
  const { results, comparisons } = figures;
  const several = results.some((r) => r.seeds.length > 1);
  const lines = [
    `# ${data.title}`,
    "",
    `Task: ${data.task}${data.runId ? `; run: ${data.runId}` : ""}; ${problemsLine(results)}; ` +
    `${seedsLine(results)}.`,
    "",
    "## Self-correction on held-out problems",
    "",
    "Percent of all problems; two attempts, greedy. Δ i→c: wrong at attempt 1, right at attempt 2; Δ c→i: the " +
    "reverse. Each cell is the mean over the method's seeds and its 95% interval [low, high]: a " +
    `${bootstrapMethod(data.bootstrap)}.${fewSeedsNote(results)}`,
    "",
    comparisonTable(results),
    "",
    ...(several ? ["Δ(t1,t2) per seed:", "", perSeedTable(results), ""] : []),
    ...(comparisons.length > 0 ? pairedSection(comparisons) : []),
    "## Training curves",
    "",
    ...(several ? ["Curves of several seeds are averaged per update.", ""] : []),
    ...chartFiles.map((file) => `![${file.replace(/\.svg$/, "")}](${file})`),
    "",
    "## Settings",
    "",
    "```json",
    JSON.stringify(data.settings, null, 2),
    "```",
    "",
  ];
  return lines.join("\n");
}

function pairedSection(comparisons: readonly DeltaComparison[]): string[] {
  return [
    `## ${comparisons[0].method}'s Δ(t1,t2) against the other methods`,
    "",
    `Δ(t1,t2) of ${comparisons[0].method} minus that of each other method, in percentage points, paired by ` +
    "(seed, problem): each resample draws the same seeds and problems for both methods.",
    "",
    pairedTable(comparisons),
    "",
  ];
}

/** report.json: the same figures, machine-readable, as fractions. */
export function reportJson(data: ReportData, figures: ReportFigures): string {
  return JSON.stringify(
    {
      title: data.title,
      task: data.task,
      runId: data.runId ?? null,
      bootstrap: {
        method: bootstrapMethod(data.bootstrap),
        resamples: data.bootstrap.resamples,
        seed: data.bootstrap.seed,
        confidence: data.bootstrap.confidence ?? 0.95,
      },
      compare: data.compare ?? null,
      results: figures.results.map((r) => ({
        method: r.method,
        seeds: r.seeds,
        metrics: r.metrics,
        perSeed: r.perSeed.map((metrics, i) => ({ seed: r.seeds[i], ...metrics })),
      })),
      comparisons: figures.comparisons,
      curves: data.curves,
      settings: data.settings,
    },
    null,
    2,
  ) + "\n";
}

/** Builds every file of the report. */
export function buildReport(data: ReportData): ReportFiles {
  return renderReport(data, reportFigures(data));
}

/** Writes the files of a report from its data and figures (see {@link reportFigures}). */
export function renderReport(data: ReportData, figures: ReportFigures): ReportFiles {
  const charts = trainingCharts(data.curves);
  return {
    "report.md": reportMarkdown(data, figures, Object.keys(charts)),
    "report.json": reportJson(data, figures),
    charts,
  };
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}
