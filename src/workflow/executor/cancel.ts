/**
 * Cancelling a run's cluster work: every array job the run's sharded steps submitted (found by job name as
 * well as by the ids in the run store, so an array whose id the head never recorded is cancelled too).
 *
 * @example
 * ```ts ignore
 * const cancelled = await cancelShardJobs(store, "runs/r1", "r1", new SlurmCli()); // ["verify"]
 * ```
 *
 * @module
 */
import type { RunStore } from "../store.ts";
import { shardJobName } from "./slurm.ts";
import type { ArrayScheduler } from "./slurm_cli.ts";

/**
 * Cancels the array jobs of a run's sharded steps (`runDir` is the run's folder); returns the ids of the
 * steps that had any.
 */
export async function cancelShardJobs(
  store: RunStore,
  runDir: string,
  runId: string,
  scheduler: ArrayScheduler,
): Promise<string[]> {
  const byStep = new Map<string, string[]>();
  for (const job of store.getShardJobs(runId)) {
    byStep.set(job.step_id, [...(byStep.get(job.step_id) ?? []), job.job_id]);
  }
  for (const [stepId, jobIds] of byStep) {
    await scheduler.cancel(shardJobName(runDir, runId, stepId), jobIds);
    store.addEvent(runId, stepId, "shards.cancelled", { jobs: jobIds });
  }
  return [...byStep.keys()];
}
