/**
 * Pure conversions from run-store rows to API objects: step counts, durations, recent item rates and ETAs.
 *
 * @module
 */
import { declaredStepId } from "../workflow/matrix.ts";
import type { ArtifactRef } from "../workflow/step.ts";
import type { EventRow, MetricRow, RunRow, ShardRow, StepRow } from "../workflow/store.ts";
import type { RunSummary, StepSummary } from "./schemas.ts";

/** Counts a run's steps by state. */
export function countSteps(steps: readonly StepRow[]): RunSummary["steps"] {
  const count = (...states: string[]) => steps.filter((s) => states.includes(s.status)).length;
  return {
    total: steps.length,
    pending: count("pending", "interrupted"),
    running: count("running"),
    finished: count("done", "cached"),
    failed: count("failed"),
  };
}

/** A run as listed. */
export function runSummary(run: RunRow, steps: readonly StepRow[]): RunSummary {
  return {
    id: run.id,
    workflow: run.workflow,
    file: run.file,
    status: run.status,
    pid: run.pid,
    created: run.created,
    updated: run.updated,
    error: run.error,
    steps: countSteps(steps),
  };
}

/**
 * Items per second from a step's newest progress events (newest first): the slope between the newest event
 * and the oldest one of the same attempt (item counts never fall within an attempt).
 */
export function recentRate(progress: readonly EventRow[]): number | null {
  const points = progress.map((e) => ({ done: Number(JSON.parse(e.data).done), ts: e.ts }))
    .filter((p) => Number.isFinite(p.done));
  if (points.length < 2) return null;
  const newest = points[0];
  let oldest = newest;
  for (const point of points.slice(1)) {
    if (point.done > oldest.done) break;
    oldest = point;
  }
  const seconds = (newest.ts - oldest.ts) / 1000;
  return seconds > 0 && newest.done > oldest.done ? (newest.done - oldest.done) / seconds : null;
}

/** The outputs of a finished step, from its stored ArtifactRefs. */
function outputsOf(row: StepRow): StepSummary["outputs"] {
  if (!row.outputs) return [];
  const refs = JSON.parse(row.outputs) as Record<string, ArtifactRef>;
  return Object.entries(refs).map(([name, ref]) => ({
    name,
    kind: ref.kind,
    count: ref.count,
    sha256: ref.sha256,
  }));
}

/** A matrix instance's axis values from its id: `base[seed=1,lr=0.1]` → `{ seed: "1", lr: "0.1" }`. */
export function matrixValues(stepId: string): Record<string, string> {
  const inside = /\[(.*)\]$/.exec(stepId)?.[1];
  if (!inside) return {};
  return Object.fromEntries(
    inside.split(",").map((pair) => {
      const at = pair.indexOf("=");
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

/** What {@link stepSummary} needs besides the row. */
export interface StepFacts {
  needs: string[];
  /** The step's newest progress events, newest first (only needed while it runs). */
  progress: readonly EventRow[];
  /** The newest point of each of the step's metrics. */
  metrics: readonly MetricRow[];
  /** The step's shards, when it runs on Slurm. */
  shards?: readonly ShardRow[];
  now: number;
}

/** A step with its progress, rate and ETA. */
export function stepSummary(row: StepRow, facts: StepFacts): StepSummary {
  const running = row.status === "running";
  const end = running ? facts.now : row.finished;
  const durationMs = row.started !== null && end !== null && end >= row.started ? end - row.started : null;
  let rate = running ? recentRate(facts.progress) : null;
  if (!running && durationMs && row.items_done > 0) rate = row.items_done / (durationMs / 1000);
  const remaining = row.items_total === null ? null : row.items_total - row.items_done;
  const etaSeconds = running && rate && remaining !== null ? remaining / rate : null;
  return {
    id: row.step_id,
    group: declaredStepId(row.step_id),
    matrix: matrixValues(row.step_id),
    kind: row.kind,
    status: row.status,
    needs: facts.needs,
    attempts: row.attempts,
    started: row.started,
    finished: row.finished,
    durationMs,
    error: row.error,
    itemsDone: row.items_done,
    itemsTotal: row.items_total,
    rate,
    etaSeconds,
    outputs: outputsOf(row),
    metrics: Object.fromEntries(facts.metrics.map((m) => [m.name, { step: m.step, value: m.value }])),
    shards: (facts.shards ?? []).map((shard) => ({
      index: shard.shard,
      state: shard.state,
      schedulerState: shard.scheduler_state,
      jobId: shard.job_id,
      node: shard.node,
      restarts: shard.restarts,
      first: shard.first,
      end: shard.end,
      itemsDone: shard.items_done,
    })),
  };
}

/** Keeps at most `max` points of a series, evenly spaced, always keeping the last one. */
export function downsample<T>(points: readonly T[], max: number): T[] {
  if (points.length <= max) return [...points];
  const stride = (points.length - 1) / (max - 1);
  return Array.from({ length: max }, (_, i) => points[Math.round(i * stride)]);
}
