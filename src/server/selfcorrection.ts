/**
 * The self-correction table of a run, as the report lays it out: one row per method (an evaluation's metric
 * scope, for example `eval/base` → method `base`), with the step it came from and Accuracy@t1, Accuracy@t2,
 * Δ(t1,t2), Δ i→c and Δ c→i as fractions. A matrix step's instances (`eval_score[seed=0]`, ...) are the
 * method's instances, with their mean.
 *
 * @module
 */
import { describeMetric, PROBLEMS_KEY, SELF_CORRECTION_COLUMNS } from "./metric_catalog.ts";
import type { SelfCorrectionRow, SelfCorrectionTable, StepSummary } from "./schemas.ts";

type Values = SelfCorrectionRow["mean"] & object;

/** The method a metric scope names: `eval/base` → `base`; a bare `eval` is named by its step. */
function methodName(scope: string, step: string): string {
  if (scope === "" || scope === "eval") return step;
  return scope.startsWith("eval/") ? scope.slice("eval/".length) : scope;
}

/** The evaluations of one step: its complete self-correction metric sets, by scope. */
function evaluationsOf(step: StepSummary): Map<string, { values: Values; problems: number | null }> {
  const byScope = new Map<string, Partial<Record<string, number>>>();
  for (const [name, point] of Object.entries(step.metrics)) {
    const info = describeMetric(name);
    if (!info.table) continue;
    byScope.set(info.scope, { ...byScope.get(info.scope), [info.key]: point.value });
  }
  const complete = new Map<string, { values: Values; problems: number | null }>();
  for (const [scope, found] of byScope) {
    if (!SELF_CORRECTION_COLUMNS.every(({ key }) => typeof found[key] === "number")) continue;
    const values = Object.fromEntries(SELF_CORRECTION_COLUMNS.map(({ key }) => [key, found[key]!])) as Values;
    complete.set(scope, { values, problems: found[PROBLEMS_KEY] ?? null });
  }
  return complete;
}

function mean(rows: readonly Values[]): Values {
  return Object.fromEntries(
    SELF_CORRECTION_COLUMNS.map((
      { key },
    ) => [key, rows.reduce((sum, row) => sum + row[key], 0) / rows.length]),
  ) as Values;
}

/** Builds the table from a run's steps (in run order; methods keep the order of their first step). */
export function selfCorrectionTable(steps: readonly StepSummary[]): SelfCorrectionTable {
  const rows = new Map<string, SelfCorrectionRow>();
  for (const step of steps) {
    for (const [scope, { values, problems }] of evaluationsOf(step)) {
      const key = `${step.group}\0${scope}`;
      let row = rows.get(key);
      if (!row) {
        row = {
          method: methodName(scope, step.group),
          scope,
          step: step.group,
          evaluation: scope === "eval" || scope.startsWith("eval/"),
          instances: [],
          mean: null,
        };
        rows.set(key, row);
      }
      row.instances.push({ step: step.id, matrix: step.matrix, problems, values });
    }
  }
  for (const row of rows.values()) {
    if (row.instances.length > 1) row.mean = mean(row.instances.map((instance) => instance.values));
  }
  return {
    columns: SELF_CORRECTION_COLUMNS.map((column) => ({ ...column })),
    rows: [...rows.values()].sort((a, b) => Number(b.evaluation) - Number(a.evaluation)),
  };
}
