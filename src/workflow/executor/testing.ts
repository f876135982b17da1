/**
 * A stand-in for Slurm in tests: an {@link ArrayScheduler} that runs each task of an array as a local process
 * (`bash SCRIPT` with `SLURM_ARRAY_TASK_ID` set, output appended to the task's log), so the head's code
 * (submission, re-attach, polling, merge) is tested on machines without a cluster.
 *
 * @example
 * ```ts ignore
 * const scheduler = new LocalArrayScheduler();
 * await executeRun({ ...options, scheduler });
 * await scheduler.close();
 * ```
 *
 * @module
 */
import type { ArrayScheduler, ArraySubmission, ArrayTask } from "./slurm_cli.ts";

interface LocalTask {
  task: ArrayTask;
  child: Deno.ChildProcess;
  /** Set by `cancel`: the task ends CANCELLED however its process exits, as under Slurm. */
  cancelled: boolean;
}

/** Runs array tasks as local processes; job ids count from 1. */
export class LocalArrayScheduler implements ArrayScheduler {
  private nextId = 1;
  private readonly running: { name: string; tasks: LocalTask[] }[] = [];
  /** Every submission, in order (what a test checks resubmissions against). */
  readonly submissions: { jobId: string; indices: number[] }[] = [];

  submit(job: ArraySubmission): Promise<string> {
    const jobId = String(this.nextId++);
    const tasks = job.indices.map((index): LocalTask => {
      const log = job.log.replaceAll("%a", String(index));
      const child = new Deno.Command("bash", {
        args: ["-c", 'exec "$0" >>"$1" 2>&1', job.script, log],
        cwd: job.chdir,
        env: { SLURM_ARRAY_TASK_ID: String(index), SLURM_ARRAY_JOB_ID: jobId },
        stdin: "null",
      }).spawn();
      const task: ArrayTask = { arrayJobId: jobId, index, state: "RUNNING", node: "local", reason: null };
      const local: LocalTask = { task, child, cancelled: false };
      child.status.then((status) => {
        task.state = local.cancelled ? "CANCELLED" : status.success ? "COMPLETED" : "FAILED";
      });
      return local;
    });
    this.running.push({ name: job.name, tasks });
    this.submissions.push({ jobId, indices: [...job.indices] });
    return Promise.resolve(jobId);
  }

  tasks(name: string): Promise<ArrayTask[]> {
    return Promise.resolve(
      this.running.filter((job) => job.name === name).flatMap((job) => job.tasks.map((t) => ({ ...t.task }))),
    );
  }

  cancel(name: string): Promise<void> {
    for (const job of this.running.filter((j) => j.name === name)) {
      for (const local of job.tasks) {
        if (local.task.state === "RUNNING") {
          local.cancelled = true;
          try {
            local.child.kill("SIGTERM");
          } catch {
            // it just ended
          }
        }
      }
    }
    return Promise.resolve();
  }

  /** Waits for every task to end. */
  async close(): Promise<void> {
    await Promise.all(this.running.flatMap((job) => job.tasks.map((t) => t.child.status)));
  }
}
