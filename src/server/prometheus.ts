/**
 * The Prometheus text exposition (format 0.0.4) of runs: step states, items processed, durations, item
 * rates, and the newest value of every metric a step recorded (rewards, KL, loss, tokens/s...). Metric
 * names chosen by steps are free-form, so they are exported as a `name` label of one gauge family.
 *
 * @module
 */
import type { RunRow } from "../workflow/store.ts";
import type { StepSummary } from "./schemas.ts";

/** A run and its steps, as exported. */
export interface ExportedRun {
  run: RunRow;
  steps: readonly StepSummary[];
}

/** Escapes a label value: backslash, double quote and newline. */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function labels(pairs: Record<string, string>): string {
  return `{${Object.entries(pairs).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`;
}

/** A metric family: its help, type and samples. */
interface Family {
  name: string;
  help: string;
  type: "gauge" | "counter";
  samples: { labels: Record<string, string>; value: number }[];
}

function families(runs: readonly ExportedRun[]): Family[] {
  const family = (name: string, type: Family["type"], help: string): Family => ({
    name,
    type,
    help,
    samples: [],
  });
  const runInfo = family("pipeline_run_info", "gauge", "A run (1), labelled with its workflow and status.");
  const stepState = family("pipeline_step_state", "gauge", "1 for the state a step is in.");
  const items = family("pipeline_step_items_processed", "counter", "Items a step has committed.");
  const total = family("pipeline_step_items_total", "gauge", "Items a step has to process.");
  const duration = family("pipeline_step_duration_seconds", "gauge", "Time a step ran (so far, if running).");
  const rate = family("pipeline_step_items_per_second", "gauge", "Recent items (samples) per second.");
  const eta = family("pipeline_step_eta_seconds", "gauge", "Estimated seconds until a running step ends.");
  const metric = family("pipeline_metric", "gauge", "Newest value of a metric a step recorded (name label).");
  const metricStep = family("pipeline_metric_step", "gauge", "Step index of the newest value of a metric.");
  for (const { run, steps } of runs) {
    runInfo.samples.push({ labels: { run: run.id, workflow: run.workflow, status: run.status }, value: 1 });
    for (const step of steps) {
      const at = { run: run.id, step: step.id };
      stepState.samples.push({ labels: { ...at, state: step.status }, value: 1 });
      items.samples.push({ labels: at, value: step.itemsDone });
      if (step.itemsTotal !== null) total.samples.push({ labels: at, value: step.itemsTotal });
      if (step.durationMs !== null) duration.samples.push({ labels: at, value: step.durationMs / 1000 });
      if (step.rate !== null) rate.samples.push({ labels: at, value: step.rate });
      if (step.etaSeconds !== null) eta.samples.push({ labels: at, value: step.etaSeconds });
      for (const [name, point] of Object.entries(step.metrics)) {
        metric.samples.push({ labels: { ...at, name }, value: point.value });
        metricStep.samples.push({ labels: { ...at, name }, value: point.step });
      }
    }
  }
  return [runInfo, stepState, items, total, duration, rate, eta, metric, metricStep];
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/** Renders runs in the Prometheus text format. */
export function renderPrometheus(runs: readonly ExportedRun[]): string {
  const lines: string[] = [];
  for (const f of families(runs)) {
    lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) lines.push(`${f.name}${labels(s.labels)} ${formatValue(s.value)}`);
  }
  return lines.join("\n") + "\n";
}
