/**
 * The POST actions on a run: resume it in a new detached pipeline process, or cancel it with SIGTERM (the
 * engine then finishes its current commit and marks the run interrupted).
 *
 * @module
 */
import { pipelineCommand, PRODUCTION_ENTRY } from "../workflow/executor/launch.ts";
import { ownerAlive, remoteOwnerHost } from "../workflow/owner.ts";
import type { RunRow, ShardJobRow } from "../workflow/store.ts";
import { cancelShardJobs } from "../workflow/executor/cancel.ts";
import { type ArrayScheduler, SlurmCli } from "../workflow/executor/slurm_cli.ts";
import { ApiError } from "./errors.ts";

/** Refuses to act on a run whose process is alive. */
function assertNotRunning(run: RunRow): void {
  if (run.status === "running" && ownerAlive(run)) {
    throw new ApiError(409, `run '${run.id}' is running (pid ${run.pid}); cancel it first`);
  }
}

/**
 * Starts `deno run ... ENTRY resume ID --runs-dir DIR` detached from the server, so it outlives it. `entry` is
 * the pipeline's entry module (default `src/cli.ts`; tests pass theirs, which registers the test step kinds).
 * Returns the new process id.
 */
export function resumeRun(run: RunRow, runsDir: string, entry = PRODUCTION_ENTRY): number {
  assertNotRunning(run);
  if (run.status === "done") throw new ApiError(409, `run '${run.id}' is already done; nothing to resume`);
  const [deno, ...args] = pipelineCommand(entry, ["resume", run.id, "--runs-dir", runsDir]);
  const child = new Deno.Command(deno, {
    args,
    cwd: Deno.cwd(),
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  child.unref();
  child.status.catch(() => {}); // its outcome is in the run store
  return child.pid;
}

/**
 * Sends SIGTERM to the process running `run` and, when its steps run on Slurm (`jobs`, the run store's rows;
 * `runDir`, the run's folder), cancels their arrays (`scancel`, in the background: its failure is logged).
 * Returns the pid.
 */
export function cancelRun(
  run: RunRow,
  jobs: readonly ShardJobRow[] = [],
  runDir = "",
  scheduler: ArrayScheduler = new SlurmCli(),
): number {
  if (run.status !== "running") throw new ApiError(409, `run '${run.id}' is ${run.status}, not running`);
  if (!ownerAlive(run)) {
    throw new ApiError(
      409,
      `run '${run.id}' is marked running but its process ${run.pid} is gone; resume it`,
    );
  }
  const host = remoteOwnerHost(run);
  if (host) {
    throw new ApiError(409, `run '${run.id}' runs on host ${host}; cancel it there (pipeline cancel)`);
  }
  if (jobs.length > 0) {
    cancelShardJobs(jobs, runDir, scheduler).catch((error) =>
      console.error(`cancel ${run.id}: its Slurm arrays: ${(error as Error).message}`)
    );
  }
  Deno.kill(run.pid, "SIGTERM");
  return run.pid;
}
