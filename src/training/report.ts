/**
 * The run report: report.md, report.json and the SVG training curves, built from data as plain strings.
 *
 * The comparison table follows the paper's tables: one row per method (base model, baselines, SCoRe), with
 * Accuracy@t1, Accuracy@t2, delta(t1,t2), delta i->c and delta c->i in percent of all held-out problems, plus
 * pass@k columns when a method reports them.
 *
 * @module
 */
import type { SelfCorrectionMetrics } from "./metrics.ts";
import { lineChartSvg, type Series } from "./svg.ts";

/** Names under which training steps record their per-update metrics (ctx.metric), read back by the report. */
export const TRAINING_METRICS = {
  rewardAttempt1: "reward_attempt1",
  rewardAttempt2: "reward_attempt2",
  kl: "kl",
  loss: "loss",
  tokensPerSecond: "tokens_per_second",
} as const;

/** One method's row of the comparison table. */
export interface MethodResult {
  /** As shown in the table, for example "base model", "Pair-SFT", "SCoRe". */
  method: string;
  /** Its self-correction metrics on the held-out problems. */
  metrics: SelfCorrectionMetrics;
  /** Optional pass@k figures (fractions), keyed by k, for code tasks. */
  passAtK?: Record<string, number>;
}

/** One recorded value of a training metric. */
export interface MetricPoint {
  /** The training step that recorded it, for example "stage1". */
  stage: string;
  /** The metric's name, see {@link TRAINING_METRICS}. */
  name: string;
  /** The update index. */
  step: number;
  value: number;
}

/** Everything a report shows. */
export interface ReportData {
  title: string;
  /** The task's name, for example "toy-math". */
  task: string;
  runId?: string;
  /** Table rows in display order. */
  results: readonly MethodResult[];
  /** Training metrics of every training step. */
  curves: readonly MetricPoint[];
  /** Settings worth recording (hyperparameters, seeds, model sizes). */
  settings: Record<string, unknown>;
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

/** Formats a fraction as a percentage with one decimal, as in the paper's tables ("-0.0" shown as "0.0"). */
export function percent(fraction: number): string {
  const text = (fraction * 100).toFixed(1);
  return text === "-0.0" ? "0.0" : text;
}

/** The comparison table in Markdown. */
export function comparisonTable(results: readonly MethodResult[]): string {
  const ks = [...new Set(results.flatMap((r) => Object.keys(r.passAtK ?? {})))].sort((a, b) => +a - +b);
  const header = [
    "method",
    "Accuracy@t1",
    "Accuracy@t2",
    "Δ(t1,t2)",
    "Δ i→c",
    "Δ c→i",
    ...ks.map((k) => `pass@${k}`),
  ];
  const rows = results.map((r) => {
    const m = r.metrics;
    const cells = [m.accuracyT1, m.accuracyT2, m.delta, m.incorrectToCorrect, m.correctToIncorrect].map(
      percent,
    );
    const pass = ks.map((k) => (r.passAtK?.[k] === undefined ? "–" : percent(r.passAtK[k])));
    return [escapeCell(r.method), ...cells, ...pass];
  });
  return [header, header.map(() => "---"), ...rows].map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

/** The series of a chart: one per (training stage, metric) that has points. */
export function chartSeries(curves: readonly MetricPoint[], metrics: readonly string[]): Series[] {
  const series = new Map<string, [number, number][]>();
  for (const point of curves) {
    if (!metrics.includes(point.name)) continue;
    const key = `${point.stage} ${point.name}`;
    if (!series.has(key)) series.set(key, []);
    series.get(key)!.push([point.step, point.value]);
  }
  return [...series].map(([name, points]) => ({ name, points }));
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

/** report.md: the comparison table, the charts and the settings. */
export function reportMarkdown(data: ReportData, chartFiles: readonly string[]): string {
  const problems = data.results[0]?.metrics.problems;
  const lines = [
    `# ${data.title}`,
    "",
    `Task: ${data.task}${data.runId ? `; run: ${data.runId}` : ""}` +
    `${problems === undefined ? "" : `; ${problems} held-out problems`}.`,
    "",
    "## Self-correction on held-out problems",
    "",
    "Percent of all problems; two attempts, greedy. Δ i→c: wrong at attempt 1, right at attempt 2; Δ c→i: the " +
    "reverse.",
    "",
    data.results.length > 0 ? comparisonTable(data.results) : "No evaluation results were given.",
    "",
    "## Training curves",
    "",
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

/** report.json: the same data, machine-readable, with the metrics as fractions. */
export function reportJson(data: ReportData): string {
  return JSON.stringify(
    {
      title: data.title,
      task: data.task,
      runId: data.runId ?? null,
      results: data.results,
      curves: data.curves,
      settings: data.settings,
    },
    null,
    2,
  ) + "\n";
}

/** Builds every file of the report. */
export function buildReport(data: ReportData): ReportFiles {
  const charts = trainingCharts(data.curves);
  return {
    "report.md": reportMarkdown(data, Object.keys(charts)),
    "report.json": reportJson(data),
    charts,
  };
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}
