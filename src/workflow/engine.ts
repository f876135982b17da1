/**
 * The workflow engine: runs a checked workflow's steps in dependency order with bounded parallelism,
 * reuses finished steps (same run on resume, or another run with the same cache key), retries failed
 * attempts with backoff, enforces timeouts, and stops gracefully on SIGINT/SIGTERM.
 *
 * @module
 */
import { sleep } from "../util/async.ts";
import { dirname } from "node:path";
import { cacheKey, describeOutput, linkTree, StepPaths, writeManifest } from "./artifacts.ts";
import { codeVersion } from "./code_version.ts";
import { StepRun } from "./context.ts";
import { cancelShardJobs } from "./executor/cancel.ts";
import { currentEntry } from "./executor/launch.ts";
import { runShardedStep } from "./executor/slurm.ts";
import { type ArrayScheduler, SlurmCli } from "./executor/slurm_cli.ts";
import { crashPoint } from "./faults.ts";
import { digestInputs } from "./fingerprints.ts";
import { downstream } from "./graph.ts";
import { inputPaths } from "./inputs.ts";
import { expandSteps, resolveInstance, type StepInstance } from "./matrix.ts";
import { HEARTBEAT_MS, ownerToken } from "./owner.ts";
import { type Reporter, SilentReporter } from "./progress.ts";
import type { StepSpec, Workflow } from "./spec.ts";
import type { ArtifactRef } from "./step.ts";
import type { RunStatus, RunStore, StepRow } from "./store.ts";

/** Options of one execution of a run. */
export interface ExecuteOptions {
  store: RunStore;
  workflow: Workflow;
  /** Parameter values (defaults with `--set` applied). */
  params: Record<string, unknown>;
  runId: string;
  /** The run's directory (`<runs-dir>/<run-id>`). */
  runDir: string;
  reporter?: Reporter;
  /** Do not reuse outputs of other runs. */
  force?: boolean;
  /** Aborting it interrupts the run. */
  signal?: AbortSignal;
  /** Overrides the item-commit interval (benchmarks and tests). */
  commitIntervalMs?: number;
  /** Where sharded steps (`executor: slurm`) are submitted (default: the Slurm commands, {@link SlurmCli}). */
  scheduler?: ArrayScheduler;
  /** The pipeline entry module shards run (default: this process's, see `executor/launch.ts`). */
  entry?: string;
}

/** Cancels the Slurm arrays a step submitted (if any) before its files are removed to run it over. */
async function cancelStepArrays(options: ExecuteOptions, stepId: string): Promise<void> {
  const jobs = options.store.getShardJobs(options.runId, stepId);
  if (jobs.length === 0) return;
  await cancelShardJobs(jobs, options.runDir, options.scheduler ?? new SlurmCli());
  options.store.addEvent(options.runId, stepId, "shards.cancelled", { reason: "the step runs over" });
}

/** Thrown inside a step attempt when the run is being interrupted. */
class Interrupted extends Error {}

/** A fresh run id: the workflow name, a UTC timestamp and a random suffix. */
export function newRunId(workflowName: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  const suffix = crypto.getRandomValues(new Uint8Array(2)).reduce(
    (s, b) => s + b.toString(16).padStart(2, "0"),
    "",
  );
  return `${workflowName.replace(/[^A-Za-z0-9_-]/g, "-")}-${stamp}-${suffix}`;
}

/** Checks a user-given run id (it becomes a directory name). */
export function isValidRunId(id: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id) && !id.includes("..");
}

/** Records a new run and its steps (each instance of a matrix step is a step of its own) in the store. */
export async function createRun(options: Omit<ExecuteOptions, "reporter" | "signal">): Promise<void> {
  const { store, workflow, runId, runDir, params } = options;
  if (store.getRun(runId)) {
    throw new Error(`run '${runId}' already exists; choose another --run-id or resume it`);
  }
  await Deno.mkdir(runDir, { recursive: true });
  await Deno.writeTextFile(`${runDir}/workflow.yaml`, workflow.source);
  store.createRun(
    {
      id: runId,
      workflow: workflow.name,
      file: workflow.file,
      source: workflow.source,
      params: JSON.stringify(params),
      status: "running",
      pid: Deno.pid,
      owner: ownerToken(),
      created: Date.now(),
    },
    expandSteps(workflow, params).map((s) => ({ id: s.id, kind: s.kind.name, needs: s.needs })),
  );
  store.addEvent(runId, null, "run.created", { workflow: workflow.name });
}

/**
 * Marks `from` and every step downstream of it to run again (`resume --from`). `from` is a step id or an
 * instance id (`base[seed=1]`); the id of a matrix step means all its instances.
 */
export async function resetFrom(options: ExecuteOptions, from: string): Promise<string[]> {
  const { workflow, store, runId, runDir } = options;
  const steps = expandSteps(workflow, options.params);
  const starts = steps.filter((s) => s.id === from || s.declaredId === from);
  if (starts.length === 0) {
    throw new Error(`--from ${from}: no such step (steps: ${steps.map((s) => s.id).join(", ")})`);
  }
  const ids = [...new Set(starts.flatMap((start) => [...downstream(steps, start.id)]))];
  for (const id of ids) {
    await cancelStepArrays(options, id);
    store.resetStep(runId, id);
    await Deno.remove(new StepPaths(runDir, id).root, { recursive: true }).catch(() => {});
  }
  return ids;
}

/**
 * Runs every step that is not finished yet. Returns the run's final status. Whatever happens, the run and
 * its steps end in a final state (done, failed or interrupted), never `running`.
 */
export async function executeRun(options: ExecuteOptions): Promise<RunStatus> {
  const { store, runId } = options;
  const reporter = options.reporter ?? new SilentReporter();
  const interrupt = new AbortController();
  const onAbort = () => interrupt.abort(new Interrupted("interrupted"));
  options.signal?.addEventListener("abort", onAbort);
  if (options.signal?.aborted) onAbort();
  store.setRunStatus(runId, "running", null, { pid: Deno.pid, owner: ownerToken() });
  store.addEvent(runId, null, "run.started", { pid: Deno.pid });
  const heartbeat = setInterval(() => store.touchRun(runId), HEARTBEAT_MS);
  let outcome: { status: RunStatus; error: string | null };
  try {
    outcome = await scheduleSteps(options, reporter, interrupt.signal);
  } catch (error) {
    outcome = { status: "failed", error: `the engine stopped: ${errorMessage(error)}` };
  } finally {
    clearInterval(heartbeat);
    options.signal?.removeEventListener("abort", onAbort);
  }
  settleSteps(options, outcome.status === "interrupted" ? "interrupted" : "failed", outcome.error);
  store.setRunStatus(runId, outcome.status, outcome.error);
  store.addEvent(runId, null, `run.${outcome.status}`, { error: outcome.error });
  return outcome.status;
}

/** Runs the steps in dependency order, at most `concurrency` at a time, until all are done or one fails. */
async function scheduleSteps(
  options: ExecuteOptions,
  reporter: Reporter,
  interrupt: AbortSignal,
): Promise<{ status: RunStatus; error: string | null }> {
  const { store, workflow, runId } = options;
  const steps = expandSteps(workflow, options.params);
  const outputs = new Map<string, Record<string, ArtifactRef>>();
  const finished = new Set<string>();
  for (const row of store.getSteps(runId)) {
    if ((row.status === "done" || row.status === "cached") && row.outputs) {
      outputs.set(row.step_id, JSON.parse(row.outputs));
      finished.add(row.step_id);
    }
  }
  const failed = new Set<string>();
  const running = new Map<string, Promise<void>>();
  const ready = () =>
    steps.filter((s) =>
      !finished.has(s.id) && !failed.has(s.id) && !running.has(s.id) && s.needs.every((n) => finished.has(n))
    );

  while (!interrupt.aborted && failed.size === 0) {
    for (const step of ready()) {
      if (running.size >= workflow.concurrency) break;
      const task = runStep(options, reporter, step, outputs, interrupt)
        .catch((error) => failStep(options, reporter, step, errorMessage(error)))
        .then((result) => {
          if (result) {
            outputs.set(step.id, result);
            finished.add(step.id);
          } else failed.add(step.id);
        })
        .finally(() => running.delete(step.id));
      running.set(step.id, task);
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  await Promise.all(running.values());

  const status: RunStatus = interrupt.aborted
    ? "interrupted"
    : failed.size > 0
    ? "failed"
    : finished.size === steps.length
    ? "done"
    : "failed";
  return { status, error: status === "failed" ? `failed steps: ${[...failed].join(", ")}` : null };
}

/** Marks steps the store still shows as running (after an engine error) as failed or interrupted. */
function settleSteps(options: ExecuteOptions, status: "failed" | "interrupted", error: string | null): void {
  for (const row of options.store.getSteps(options.runId)) {
    if (row.status !== "running") continue;
    options.store.updateStep(options.runId, row.step_id, {
      status,
      error: error ?? status,
      finished: Date.now(),
    });
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function resolveParams(
  options: ExecuteOptions,
  step: StepInstance,
  outputs: Map<string, Record<string, ArtifactRef>>,
): unknown {
  const resolved = resolveInstance(step, options.params, (id, output) => outputs.get(id)![output]);
  const parsed = step.kind.params.safeParse(resolved);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`step '${step.id}': 'with.${issue.path.join(".")}': ${issue.message}`);
  }
  return parsed.data;
}

/** Inputs hashed beyond this many bytes are mentioned in the step's log. */
const HASHING_LOG_BYTES = 64 << 20;

/** The cache key of a step with its resolved parameters: code, parameters, input artifacts and files. */
async function stepCacheKey(
  options: ExecuteOptions,
  reporter: Reporter,
  step: StepSpec,
  params: unknown,
): Promise<string> {
  const inputs = await digestInputs(options.store, inputPaths(step.kind.params, params));
  if (inputs.hashedBytes >= HASHING_LOG_BYTES) {
    reporter.log(
      step.id,
      `hashed ${inputs.hashedFiles} input files (${
        (inputs.hashedBytes / 2 ** 20).toFixed(0)
      } MiB) for the cache key`,
    );
  }
  return cacheKey(step.kind.name, codeVersion(step.kind), params, inputs.digests);
}

/**
 * Starts a step over when an earlier attempt in this run had another cache key: its inputs or its code
 * changed since, so the items or checkpoints it committed are not results of what would run now.
 */
async function forgetStaleProgress(
  options: ExecuteOptions,
  reporter: Reporter,
  step: StepSpec,
  key: string,
): Promise<void> {
  const row = options.store.getStep(options.runId, step.id);
  if (!row?.cache_key || row.cache_key === key || row.attempts === 0) return;
  reporter.log(step.id, "its inputs or code changed since its last attempt: starting it over");
  await cancelStepArrays(options, step.id);
  options.store.resetStep(options.runId, step.id);
  options.store.addEvent(options.runId, step.id, "step.reset", { reason: "inputs or code changed" });
  await Deno.remove(new StepPaths(options.runDir, step.id).root, { recursive: true }).catch(() => {});
}

async function reuseCached(
  options: ExecuteOptions,
  step: StepSpec,
  paths: StepPaths,
  key: string,
): Promise<Record<string, ArtifactRef> | undefined> {
  if (options.force) return undefined;
  const row: StepRow | undefined = options.store.findCached(key);
  if (!row?.outputs || row.run_id === options.runId) return undefined;
  const earlier = JSON.parse(row.outputs) as Record<string, ArtifactRef>;
  try {
    await Deno.remove(paths.root, { recursive: true }).catch(() => {});
    await Deno.mkdir(`${paths.root}/out`, { recursive: true });
    const refs: Record<string, ArtifactRef> = {};
    for (const [name, ref] of Object.entries(earlier)) {
      const target = paths.output(name, step.kind.outputs[name]);
      await linkTree(ref.path, target);
      refs[name] = { ...ref, step: step.id, path: target };
    }
    await writeManifest(paths, {
      kind: step.kind.name,
      version: codeVersion(step.kind),
      cacheKey: key,
      outputs: refs,
    });
    return refs;
  } catch {
    return undefined; // the earlier run's files are gone: compute again
  }
}

async function runStep(
  options: ExecuteOptions,
  reporter: Reporter,
  step: StepInstance,
  outputs: Map<string, Record<string, ArtifactRef>>,
  interrupt: AbortSignal,
): Promise<Record<string, ArtifactRef> | undefined> {
  const { store, runId } = options;
  const paths = new StepPaths(options.runDir, step.id);
  let params: unknown;
  try {
    params = resolveParams(options, step, outputs);
  } catch (error) {
    return failStep(options, reporter, step, (error as Error).message);
  }
  const key = await stepCacheKey(options, reporter, step, params);
  await forgetStaleProgress(options, reporter, step, key);
  const cached = await reuseCached(options, step, paths, key);
  if (cached) {
    store.updateStep(runId, step.id, {
      status: "cached",
      cache_key: key,
      outputs: JSON.stringify(cached),
      finished: Date.now(),
    });
    store.addEvent(runId, step.id, "step.cached", {});
    reporter.finished(step.id, "cached", "reused the outputs of an earlier run");
    return cached;
  }
  crashPoint("step", step.id);
  const row = store.getStep(runId, step.id)!;
  let lastError = "";
  for (let attempt = row.attempts + 1; attempt <= row.attempts + step.retry.attempts; attempt++) {
    if (interrupt.aborted) break;
    const result = await runAttempt(options, reporter, step, paths, params, key, attempt, interrupt);
    if (typeof result !== "string") return result;
    lastError = result;
    if (interrupt.aborted) break;
    if (attempt < row.attempts + step.retry.attempts) {
      const wait = step.retry.backoffMs * 2 ** (attempt - row.attempts - 1);
      reporter.log(step.id, `attempt ${attempt} failed: ${lastError}; retrying in ${Math.round(wait)} ms`);
      await sleep(wait, interrupt);
    }
  }
  if (interrupt.aborted) {
    store.updateStep(runId, step.id, { status: "interrupted", error: "interrupted" });
    store.addEvent(runId, step.id, "step.interrupted", {});
    reporter.finished(step.id, "interrupted");
    return undefined;
  }
  return failStep(options, reporter, step, lastError);
}

function failStep(options: ExecuteOptions, reporter: Reporter, step: StepSpec, error: string): undefined {
  options.store.updateStep(options.runId, step.id, { status: "failed", error, finished: Date.now() });
  options.store.addEvent(options.runId, step.id, "step.failed", { error });
  reporter.finished(step.id, "failed", error);
  return undefined;
}

/** One attempt. Returns the outputs, or the error message. */
async function runAttempt(
  options: ExecuteOptions,
  reporter: Reporter,
  step: StepSpec,
  paths: StepPaths,
  params: unknown,
  key: string,
  attempt: number,
  interrupt: AbortSignal,
): Promise<Record<string, ArtifactRef> | string> {
  const { store, runId } = options;
  const controller = new AbortController();
  const stop = () => controller.abort(interrupt.reason);
  interrupt.addEventListener("abort", stop);
  const timer = step.timeoutMs === undefined ? undefined : setTimeout(
    () => controller.abort(new Error(`timed out after ${step.timeoutMs} ms (timeout: in the workflow)`)),
    step.timeoutMs,
  );
  store.updateStep(runId, step.id, {
    status: "running",
    attempts: attempt,
    started: Date.now(),
    error: null,
    cache_key: key,
  });
  store.addEvent(runId, step.id, "step.started", { attempt });
  reporter.started(step.id, attempt);
  const context = new StepRun({
    runId,
    stepId: step.id,
    kind: step.kind,
    params,
    paths,
    store,
    reporter,
    signal: controller.signal,
    commitIntervalMs: options.commitIntervalMs,
  });
  try {
    await context.prepare();
    if (step.executor.type === "slurm" && step.kind.shardable) {
      const sharded = runShardedStep({
        context,
        store,
        runId,
        stepId: step.id,
        kind: step.kind,
        params,
        paths,
        runsDir: dirname(options.runDir),
        settings: step.executor,
        scheduler: options.scheduler ?? new SlurmCli(),
        entry: options.entry ?? currentEntry(),
      });
      await raceAbort(sharded, controller.signal);
      // A kind with outputs besides its item loop's writes them after the loop: run it here, where the loop
      // finds every item committed, so that only that work runs (in this process, after the merge).
      if (Object.keys(step.kind.outputs).length > 1) {
        await raceAbort(step.kind.run(context), controller.signal);
      }
    } else {
      await raceAbort(step.kind.run(context), controller.signal);
    }
    await context.close();
    const refs: Record<string, ArtifactRef> = {};
    for (const [name, spec] of Object.entries(step.kind.outputs)) {
      refs[name] = await describeOutput(paths, name, spec);
    }
    await writeManifest(paths, {
      kind: step.kind.name,
      version: codeVersion(step.kind),
      cacheKey: key,
      outputs: refs,
    });
    store.updateStep(runId, step.id, { status: "done", outputs: JSON.stringify(refs), finished: Date.now() });
    store.addEvent(runId, step.id, "step.finished", { outputs: Object.keys(refs) });
    reporter.finished(step.id, "done");
    return refs;
  } catch (error) {
    await context.close().catch(() => {}); // the attempt's own error is the one to report
    const message = controller.signal.aborted && controller.signal.reason instanceof Error
      ? controller.signal.reason.message
      : errorMessage(error);
    store.addEvent(runId, step.id, "step.attempt_failed", { attempt, error: message });
    if (!interrupt.aborted) reporter.log(step.id, `attempt ${attempt} failed: ${message}`);
    return message;
  } finally {
    clearTimeout(timer);
    interrupt.removeEventListener("abort", stop);
  }
}

function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
