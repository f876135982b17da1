/**
 * What the status API says about each metric a run records, so the dashboard never guesses from names:
 * which chart (family) a series belongs to, its label there, which way is better, and its unit. A metric is
 * named `<scope>/<key>` (for example `stage1/reward_attempt1` or `eval/base/accuracyT1`); the key decides.
 *
 * @example
 * ```ts
 * import { describeMetric } from "./metric_catalog.ts";
 * describeMetric("stage2/kl");
 * // { scope: "stage2", key: "kl", family: "KL", label: "KL", direction: "lower", unit: "number", table: false }
 * ```
 *
 * @module
 */
import type { SelfCorrectionMetrics } from "../training/metrics.ts";
import { TRAINING_METRICS } from "../training/report.ts";
import type { MetricInfo } from "./schemas.ts";

type Description = Omit<MetricInfo, "scope" | "key">;

/** The self-correction table's columns, in the report's order, with which way is better. */
export const SELF_CORRECTION_COLUMNS = [
  { key: "accuracyT1", label: "Accuracy@t1", direction: "higher", signed: false },
  { key: "accuracyT2", label: "Accuracy@t2", direction: "higher", signed: false },
  { key: "delta", label: "Δ(t1,t2)", direction: "higher", signed: true },
  { key: "incorrectToCorrect", label: "Δ i→c", direction: "higher", signed: false },
  { key: "correctToIncorrect", label: "Δ c→i", direction: "lower", signed: false },
] as const satisfies readonly {
  key: keyof SelfCorrectionMetrics;
  label: string;
  direction: "higher" | "lower";
  /** Whether the value's sign means something (a change that can go either way). */
  signed: boolean;
}[];

/** The key of the number of problems an evaluation covered. */
export const PROBLEMS_KEY = "problems" satisfies keyof SelfCorrectionMetrics;

const KNOWN = new Map<string, Description>([
  [TRAINING_METRICS.rewardAttempt1, {
    family: "reward",
    label: "attempt 1",
    direction: "higher",
    unit: "number",
    table: false,
  }],
  [TRAINING_METRICS.rewardAttempt2, {
    family: "reward",
    label: "attempt 2",
    direction: "higher",
    unit: "number",
    table: false,
  }],
  [TRAINING_METRICS.kl, { family: "KL", label: "KL", direction: "lower", unit: "number", table: false }],
  [TRAINING_METRICS.loss, {
    family: "loss",
    label: "loss",
    direction: "lower",
    unit: "number",
    table: false,
  }],
  [
    TRAINING_METRICS.tokensPerSecond,
    { family: "throughput", label: "tokens/s", direction: "higher", unit: "per_second", table: false },
  ],
  ["selected_update", {
    family: "selected update",
    label: "update",
    direction: "none",
    unit: "count",
    table: false,
  }],
  ...SELF_CORRECTION_COLUMNS.map(({ key, label, direction }): [string, Description] => [
    key,
    { family: "self-correction", label, direction, unit: "fraction", table: true },
  ]),
  [PROBLEMS_KEY, {
    family: "self-correction",
    label: "problems",
    direction: "none",
    unit: "count",
    table: true,
  }],
]);

/** Describes a metric by its name; an unknown one is its own family, with no better direction. */
export function describeMetric(name: string): MetricInfo {
  const slash = name.lastIndexOf("/");
  const scope = slash < 0 ? "" : name.slice(0, slash);
  const key = name.slice(slash + 1);
  const known = KNOWN.get(key);
  return {
    scope,
    key,
    ...(known ?? { family: key, label: key, direction: "none", unit: "number", table: false }),
  };
}
