/**
 * The head of a sharded step (`executor: slurm`): writes the job description and batch script to the shared
 * file system, submits one `sbatch --array` job for the shards that are not finished (none for those whose
 * tasks still run: a new head re-attaches to them), polls the scheduler and the shards' commit files,
 * mirrors both into the run store (shard states, progress, job ids), and when every shard is finished merges
 * their records in item order into the step's output: byte for byte what one process would have written,
 * since per-item seeds come from the item index. For a kind with outputs besides its loop's, the engine then
 * runs the kind in its own process, where the item loop finds every item committed and only the work after
 * it (for example metrics) runs.
 *
 * A shard whose task is gone without finishing (it failed, or was cancelled) fails the attempt with its log's
 * path; the shards still running keep running, and the next attempt (`retry:`) or `pipeline resume`
 * resubmits only the unfinished ones. Interrupting the head leaves the tasks running; `pipeline cancel`
 * cancels them.
 *
 * @example
 * ```ts ignore
 * await runShardedStep({ context, store, runId, stepId, kind, params, paths, runsDir, settings,
 *   scheduler: new SlurmCli(), entry: currentEntry() });
 * ```
 *
 * @module
 */
import { sleep } from "../../util/async.ts";
import { createHash } from "node:crypto";
import { resolve } from "node:path";
import type { StepPaths } from "../artifacts.ts";
import { codeVersion } from "../code_version.ts";
import { durationMs, type SlurmSettings } from "../spec.ts";
import type { StepContext, StepKind } from "../step.ts";
import type { RunStore, ShardRow } from "../store.ts";
import { writeAll, writeFileDurably } from "../../util/fs.ts";
import { pipelineCommand } from "./launch.ts";
import { readShardCommit, type ShardCommit, ShardFiles, type ShardJob } from "./shards.ts";
import { type ArrayScheduler, type ArrayTask, isActive } from "./slurm_cli.ts";

/** What the head of a sharded step needs. */
export interface ShardedStepOptions {
  /** The step attempt's context (its log, progress and signal). */
  context: StepContext<unknown>;
  store: RunStore;
  runId: string;
  stepId: string;
  kind: StepKind;
  /** The resolved parameters. */
  params: unknown;
  paths: StepPaths;
  /** The runs folder (made absolute: shards run elsewhere). */
  runsDir: string;
  settings: SlurmSettings;
  scheduler: ArrayScheduler;
  /** The pipeline entry module the shards run (the head's own). */
  entry: string;
}

/** How many polls, and how long, a shard must look ended without finishing before it counts as failed. */
const FAILED_POLLS = 3;
const FAILED_GRACE_MS = 3000;

/**
 * The scheduler's job name of a step's arrays: how a head finds them again. It holds a digest of the run's
 * folder, so runs of the same id in two runs folders never share arrays.
 */
export function shardJobName(runDir: string, runId: string, stepId: string): string {
  const digest = createHash("sha256").update(resolve(runDir)).digest("hex").slice(0, 8);
  return `pipeline:${runId}:${stepId}:${digest}`;
}

function quote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The batch script of a sharded step's array: `pipeline shard RUN STEP $SLURM_ARRAY_TASK_ID`. */
export function batchScript(entry: string, runsDir: string, runId: string, stepId: string): string {
  const command = pipelineCommand(entry, ["shard", runId, stepId]).map(quote).join(" ");
  return `#!/bin/bash\n# written by the pipeline's head for step '${stepId}' of run '${runId}'\n` +
    `exec ${command} "$SLURM_ARRAY_TASK_ID" --runs-dir ${quote(runsDir)}\n`;
}

/** The head's view of one shard: its latest task (if the scheduler knows one) and its commit. */
function shardRow(
  options: ShardedStepOptions,
  shard: number,
  task: ArrayTask | undefined,
  commit: ShardCommit | undefined,
): ShardRow {
  const state = commit?.finished
    ? "done"
    : task && isActive(task.state)
    ? (task.state === "PENDING" || task.state === "REQUEUED" ? "pending" : "running")
    : "failed";
  return {
    run_id: options.runId,
    step_id: options.stepId,
    shard,
    job_id: task?.arrayJobId ?? null,
    state,
    scheduler_state: task ? task.state + (task.reason ? ` (${task.reason})` : "") : null,
    node: task?.node ?? commit?.node ?? null,
    restarts: commit?.restarts ?? 0,
    first: commit?.first ?? null,
    end: commit?.end ?? null,
    items_done: commit ? commit.items - commit.first : 0,
    updated: Date.now(),
  };
}

/** The newest task of each shard across the step's arrays (a resubmitted shard has several). */
function latestTasks(tasks: readonly ArrayTask[]): Map<number, ArrayTask> {
  const latest = new Map<number, ArrayTask>();
  for (const task of tasks) {
    const seen = latest.get(task.index);
    if (!seen || Number(task.arrayJobId) > Number(seen.arrayJobId) || isActive(task.state)) {
      latest.set(task.index, task);
    }
  }
  return latest;
}

/** Reads every shard's commit file. */
async function readCommits(files: ShardFiles, shards: number): Promise<(ShardCommit | undefined)[]> {
  return await Promise.all(Array.from({ length: shards }, (_, k) => readShardCommit(files.commit(k))));
}

/** The last lines of a shard's task log, for an error message. */
async function logTail(path: string): Promise<string> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return text.trimEnd().split("\n").slice(-3).join(" | ");
}

/**
 * Runs a sharded step's items on the scheduler and merges them into the step's records output. Returns once
 * the merged output is committed in the run store; throws when a shard failed or the head is interrupted.
 */
export async function runShardedStep(options: ShardedStepOptions): Promise<void> {
  const { context, store, runId, stepId, settings, scheduler } = options;
  const files = new ShardFiles(options.paths);
  const shards = settings.shards;
  const runsDir = resolve(options.runsDir);
  const name = shardJobName(options.paths.runDir, runId, stepId);
  for (let k = 0; k < shards; k++) await Deno.mkdir(files.dir(k), { recursive: true });
  const job: ShardJob = {
    runId,
    stepId,
    kind: options.kind.name,
    version: codeVersion(options.kind),
    params: options.params,
    shards,
  };
  await writeFileDurably(files.spec, new TextEncoder().encode(JSON.stringify(job) + "\n"));
  await writeFileDurably(
    files.script,
    new TextEncoder().encode(batchScript(options.entry, runsDir, runId, stepId)),
  );
  await Deno.chmod(files.script, 0o755);

  let submitted = false;
  const unfinishedSince = new Map<number, { at: number; polls: number }>();
  let lastDone = -1;
  const interval = Math.max(50, durationMs(settings.poll_interval));
  while (true) {
    context.signal.throwIfAborted();
    // The scheduler first, then the commit files: a task that ends between the two reads is seen finished.
    const tasks = latestTasks(await scheduler.tasks(name));
    const commits = await readCommits(files, shards);
    const rows = Array.from({ length: shards }, (_, k) => shardRow(options, k, tasks.get(k), commits[k]));
    if (!submitted) {
      submitted = true;
      const missing = rows.filter((row) => row.state === "failed").map((row) => row.shard);
      const attached = rows.filter((row) => row.state === "pending" || row.state === "running");
      if (attached.length > 0) {
        context.log(
          `re-attached to running shards ${attached.map((r) => `${r.shard} (job ${r.job_id})`).join(", ")}`,
        );
      }
      if (missing.length > 0) {
        const submitting = performance.now();
        const jobId = await scheduler.submit({
          name,
          script: files.script,
          indices: missing,
          log: files.log("%a"),
          chdir: Deno.cwd(),
          settings,
        });
        store.addShardJob(runId, stepId, jobId, missing);
        const submitMs = performance.now() - submitting;
        store.addEvent(runId, stepId, "shards.submitted", { job: jobId, shards: missing, submitMs });
        context.log(`submitted shards ${missing.join(",")} of ${shards} as array job ${jobId}`);
        continue; // read the new tasks before judging any shard
      }
    }
    // A task Slurm is about to requeue (after NODE_FAIL, say) may look ended for a moment: a shard counts as
    // failed once it has looked so for a few polls and seconds.
    for (const row of rows) {
      if (row.state !== "failed") unfinishedSince.delete(row.shard);
      else {
        const seen = unfinishedSince.get(row.shard) ?? { at: Date.now(), polls: 0 };
        unfinishedSince.set(row.shard, { at: seen.at, polls: seen.polls + 1 });
      }
    }
    const confirmed = (row: ShardRow) => {
      const seen = unfinishedSince.get(row.shard);
      return seen !== undefined && seen.polls >= FAILED_POLLS && Date.now() - seen.at >= FAILED_GRACE_MS;
    };
    store.putShards(
      rows.map((row) => row.state === "failed" && !confirmed(row) ? { ...row, state: "pending" } : row),
    );
    const done = rows.reduce((sum, row) => sum + row.items_done, 0);
    const total = commits.every((c) => c !== undefined) ? commits[0]!.total : undefined;
    if (done !== lastDone) {
      lastDone = done;
      context.progress(done, total);
    }
    const failed = rows.filter(confirmed);
    if (failed.length > 0) {
      const details = await Promise.all(
        failed.map(async (row) =>
          `shard ${row.shard} (${row.scheduler_state ?? "no longer known to the scheduler"}; log ${
            files.log(row.shard)
          }: ${await logTail(files.log(row.shard))})`
        ),
      );
      store.addEvent(runId, stepId, "shards.failed", { shards: failed.map((r) => r.shard) });
      throw new Error(
        `${failed.length} of ${shards} shards ended unfinished: ${
          details.join("; ")
        }; the others keep running, ` +
          `and a retry or 'pipeline resume ${runId}' resubmits only the unfinished ones`,
      );
    }
    if (rows.every((row) => row.state === "done")) {
      await mergeShards(options, files, commits as ShardCommit[]);
      return;
    }
    await sleep(interval, context.signal);
  }
}

/**
 * Concatenates the shards' committed records in shard (item) order into the step's output (a temporary
 * file, fsync, rename) and commits the whole item loop, with the shards' ledgers, in the run store.
 */
async function mergeShards(
  options: ShardedStepOptions,
  files: ShardFiles,
  commits: ShardCommit[],
): Promise<void> {
  const merging = performance.now();
  const output = commits[0].output;
  const target = options.paths.output(output, options.kind.outputs[output]);
  await Deno.mkdir(`${options.paths.root}/out`, { recursive: true });
  const temp = `${target}.merge`;
  let bytes = 0;
  {
    using out = await Deno.open(temp, { create: true, write: true, truncate: true });
    for (const commit of commits) {
      if (commit.output !== output || commit.total !== commits[0].total) {
        throw new Error(
          `shard ${commit.shard} wrote '${commit.output}' of ${commit.total} items, unlike shard 0`,
        );
      }
      using source = await Deno.open(files.output(commit.shard, output), { read: true });
      let left = commit.bytes;
      const buffer = new Uint8Array(1 << 20);
      while (left > 0) {
        const n = await source.read(buffer.subarray(0, Math.min(buffer.length, left)));
        if (n === null) throw new Error(`${files.output(commit.shard, output)} is shorter than its commit`);
        await writeAll(out, buffer.subarray(0, n));
        left -= n;
      }
      bytes += commit.bytes;
    }
    await out.syncData();
  }
  await Deno.rename(temp, target);
  const ledger = options.kind.exactlyOnce ? commits.flatMap((c) => c.ledger) : undefined;
  options.store.replaceItemCommit(options.runId, options.stepId, output, {
    items: commits[0].total,
    bytes,
  }, ledger);
  const mergeMs = performance.now() - merging;
  options.store.addEvent(options.runId, options.stepId, "shards.merged", {
    shards: commits.length,
    bytes,
    mergeMs,
  });
  options.context.log(`merged ${commits.length} shards: ${commits[0].total} items, ${bytes} bytes`);
}
