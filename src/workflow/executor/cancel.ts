/**
 * Cancelling a run's cluster work: every array job its sharded steps submitted (found by job name as well as
 * by the recorded ids, so an array whose id the head never recorded is cancelled too).
 *
 * @example
 * ```ts ignore
 * const steps = await cancelShardJobs(store.getShardJobs("r1"), "runs/r1", new SlurmCli()); // ["verify"]
 * ```
 *
 * @module
 */
import type { ShardJobRow } from "../store.ts";
import { shardJobName } from "./slurm.ts";
import type { ArrayScheduler } from "./slurm_cli.ts";

/**
 * Cancels the array jobs `jobs` (the run store's rows of one run, whose folder is `runDir`); returns the ids
 * of the steps they belong to.
 */
export async function cancelShardJobs(
  jobs: readonly ShardJobRow[],
  runDir: string,
  scheduler: ArrayScheduler,
): Promise<string[]> {
  const byStep = new Map<string, { runId: string; ids: string[] }>();
  for (const job of jobs) {
    const entry = byStep.get(job.step_id) ?? { runId: job.run_id, ids: [] };
    entry.ids.push(job.job_id);
    byStep.set(job.step_id, entry);
  }
  for (const [stepId, { runId, ids }] of byStep) {
    await scheduler.cancel(shardJobName(runDir, runId, stepId), ids);
  }
  return [...byStep.keys()];
}
