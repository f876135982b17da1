/**
 * Read-only access to a runs directory for the status server. The store is opened read-only (WAL lets it
 * read while a pipeline writes, without taking the write lock), lazily, because the database may not exist
 * until the first run starts, and only once its tables exist (the first pipeline creates the file a moment
 * before its tables): until then the server answers as if there were no runs yet. Every query is a short
 * indexed read.
 *
 * @module
 */
import { StepPaths } from "../workflow/artifacts.ts";
import { declaredStepId } from "../workflow/matrix.ts";
import { observeRun, observeSteps } from "../workflow/owner.ts";
import type { ArtifactRef } from "../workflow/step.ts";
import {
  type EventRow,
  type MetricRow,
  type RunRow,
  RunStore,
  type ShardJobRow,
  type StepRow,
} from "../workflow/store.ts";
import { ApiError } from "./errors.ts";
import { readJsonlPage } from "./records.ts";
import type { RecordsPage, RunDetail, RunSummary, SeriesList, StepDetail, StepSummary } from "./schemas.ts";
import { describeMetric } from "./metric_catalog.ts";
import { selfCorrectionTable } from "./selfcorrection.ts";
import { downsample, runSummary, stepSummary } from "./summaries.ts";

/** How many of the newest progress events give a step's recent rate. */
const RATE_WINDOW = 12;
/** How many lines of a step's log the step route returns. */
const LOG_TAIL_LINES = 40;
/** How many runs the list returns. */
const RUN_LIST_LIMIT = 200;

/** Reads runs, steps, metrics, events and records of one runs directory. */
export class RunReader {
  private store?: RunStore;
  private readonly needsCache = new Map<string, Map<string, string[]>>();

  /** `runsDir` holds `pipeline.db` and one directory per run. */
  constructor(readonly runsDir: string) {}

  /** The store, or undefined while no pipeline has created it (file and tables) yet. */
  private open(): RunStore | undefined {
    if (this.store) return this.store;
    const path = `${this.runsDir}/pipeline.db`;
    try {
      Deno.statSync(path);
    } catch {
      return undefined;
    }
    const store = new RunStore(path, { readOnly: true });
    if (!store.hasSchema()) {
      store.close(); // the creating pipeline has not committed its tables yet: look again next time
      return undefined;
    }
    this.store = store;
    return this.store;
  }

  /** The store, or a 404 that says how to create it. */
  private require(): RunStore {
    const store = this.open();
    if (!store) {
      throw new ApiError(404, `no runs yet in ${this.runsDir} (start one: deno task pipeline run FILE)`);
    }
    return store;
  }

  /** Whether the store exists. */
  hasStore(): boolean {
    return this.open() !== undefined;
  }

  /** Closes the database. */
  close(): void {
    this.store?.close();
    this.store = undefined;
  }

  /** The runs, newest first. */
  listRuns(): RunSummary[] {
    const store = this.open();
    if (!store) return [];
    return store.listRuns(RUN_LIST_LIMIT).map((row) => {
      const run = observeRun(row);
      return runSummary(run, observeSteps(run, store.getSteps(run.id)));
    });
  }

  /**
   * A run, or undefined (also while no store exists). A run whose process died shows as interrupted (see
   * {@link observeRun}), here and in every answer below.
   */
  getRunOrUndefined(id: string): RunRow | undefined {
    const row = this.open()?.getRun(id);
    return row && observeRun(row);
  }

  /** A run, or a 404. */
  getRun(id: string): RunRow {
    const run = this.getRunOrUndefined(id);
    if (!run) throw new ApiError(404, `no run '${id}' in ${this.runsDir}`);
    return run;
  }

  private stepRow(run: RunRow, stepId: string): StepRow {
    const row = this.require().getStep(run.id, stepId);
    if (!row) throw new ApiError(404, `run '${run.id}' has no step '${stepId}'`);
    return observeSteps(run, [row])[0];
  }

  private needsOf(run: RunRow): Map<string, string[]> {
    let needs = this.needsCache.get(run.id);
    if (!needs) {
      needs = new Map(
        this.require().getSteps(run.id).map((s) => [s.step_id, JSON.parse(s.needs ?? "[]") as string[]]),
      );
      this.needsCache.set(run.id, needs);
    }
    return needs;
  }

  private summarize(run: RunRow, row: StepRow, latest: readonly MetricRow[], now: number): StepSummary {
    return stepSummary(row, {
      needs: this.needsOf(run).get(row.step_id) ?? [],
      progress: row.status === "running"
        ? this.require().recentEvents(run.id, row.step_id, "progress", RATE_WINDOW)
        : [],
      metrics: latest.filter((m) => m.step_id === row.step_id),
      shards: this.require().getShards(run.id, row.step_id),
      now,
    });
  }

  /** The Slurm array jobs a run's sharded steps submitted. */
  shardJobs(runId: string): ShardJobRow[] {
    return this.require().getShardJobs(runId);
  }

  /** A run with its steps. */
  runDetail(id: string): RunDetail {
    const run = this.getRun(id);
    const store = this.require();
    const steps = observeSteps(run, store.getSteps(id));
    const latest = store.latestMetrics(id);
    const now = Date.now();
    const stepList = steps.map((row) => this.summarize(run, row, latest, now));
    return {
      ...runSummary(run, steps),
      params: JSON.parse(run.params) as Record<string, unknown>,
      stepList,
      selfCorrection: selfCorrectionTable(stepList),
      lastEventId: store.lastEventId(id),
    };
  }

  /** One step with its checkpoint and log tail. */
  async stepDetail(runId: string, stepId: string): Promise<StepDetail> {
    const run = this.getRun(runId);
    const row = this.stepRow(run, stepId);
    const checkpoint = this.require().latestCheckpoint(runId, stepId);
    const logPath = new StepPaths(`${this.runsDir}/${runId}`, stepId).log;
    const log = await Deno.readTextFile(logPath).catch(() => "");
    return {
      ...this.summarize(run, row, this.require().latestMetrics(runId), Date.now()),
      runId,
      checkpoint: checkpoint ? { index: checkpoint.idx, meta: JSON.parse(checkpoint.meta) } : null,
      log: log.trimEnd().split("\n").filter((l) => l !== "").slice(-LOG_TAIL_LINES),
    };
  }

  /**
   * One page of a step's records output. The file is located by the run-directory layout (never by a stored
   * path); while the step runs only the committed bytes are read.
   */
  async records(
    runId: string,
    stepId: string,
    offset: number,
    limit: number,
    output?: string,
  ): Promise<RecordsPage> {
    const row = this.stepRow(this.getRun(runId), stepId);
    const refs = row.outputs ? JSON.parse(row.outputs) as Record<string, ArtifactRef> : {};
    const recordOutputs = Object.entries(refs).filter(([, ref]) => ref.kind === "records").map(([name]) =>
      name
    );
    const paths = new StepPaths(`${this.runsDir}/${runId}`, stepId);
    let name = output ?? recordOutputs[0];
    let maxBytes: number | undefined;
    if (row.status !== "done" && row.status !== "cached") {
      // Not finished: only what the item loop committed is shown.
      name = output ?? (await jsonlOutputs(`${paths.root}/out`))[0];
      if (!name) throw new ApiError(404, `step '${stepId}' has not written any records yet`);
      maxBytes = this.require().getItemCommit(runId, stepId, name).bytes;
    } else if (!name || (output && !recordOutputs.includes(output))) {
      throw new ApiError(
        404,
        `step '${stepId}' has no records output${output ? ` '${output}'` : ""} (records outputs: ${
          recordOutputs.join(", ") || "none"
        })`,
      );
    }
    const path = `${paths.root}/out/${name}.jsonl`;
    const page = await readJsonlPage(path, offset, limit, maxBytes).catch((error) => {
      if (error instanceof Deno.errors.NotFound) return { records: [], total: 0 };
      throw error;
    });
    return { runId, stepId, output: name, offset, limit, total: page.total, records: page.records };
  }

  /** Every metric of a run as series per step and name, downsampled to `maxPoints`. */
  series(runId: string, maxPoints: number): SeriesList {
    this.getRun(runId);
    const grouped = new Map<string, SeriesList["series"][number]>();
    for (const m of this.require().getMetrics(runId)) {
      const key = `${m.step_id}\0${m.name}`;
      let series = grouped.get(key);
      if (!series) {
        const info = describeMetric(m.name);
        grouped.set(
          key,
          series = { step: m.step_id, group: declaredStepId(m.step_id), name: m.name, info, points: [] },
        );
      }
      series.points.push([m.step, m.value]);
    }
    const series = [...grouped.values()].map((s) => ({ ...s, points: downsample(s.points, maxPoints) }));
    return { runId, series };
  }

  /** Events of a run after an id. */
  eventsAfter(runId: string, afterId: number, limit: number): EventRow[] {
    return this.require().eventsAfter(runId, afterId, limit);
  }

  /** The id of a run's newest event. */
  lastEventId(runId: string): number {
    return this.require().lastEventId(runId);
  }

  /** The runs worth exporting as Prometheus metrics: every running run and the newest others. */
  runsForMetrics(recent: number): { run: RunRow; steps: StepSummary[] }[] {
    const store = this.open();
    if (!store) return [];
    const runs = store.listRuns(RUN_LIST_LIMIT).map((row) => observeRun(row));
    const chosen = runs.filter((run, index) => run.status === "running" || index < recent);
    return chosen.map((run) => {
      const detail = this.runDetail(run.id);
      return { run, steps: detail.stepList };
    });
  }
}

/** The names of the `.jsonl` outputs in a step's `out` directory, sorted (none when it does not exist). */
async function jsonlOutputs(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.endsWith(".jsonl")) names.push(entry.name.slice(0, -".jsonl".length));
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}
