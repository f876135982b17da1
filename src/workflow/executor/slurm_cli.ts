/**
 * The Slurm commands the pipeline uses, behind {@link ArrayScheduler} (so tests can run the same head code
 * with local processes, see testing.ts): `sbatch --array` to submit a sharded step, `squeue` to see its
 * tasks, `scancel` to cancel them. Tasks are found by job name, so a head that died between `sbatch` and
 * recording the job id still finds its array.
 *
 * @example
 * ```ts ignore
 * const slurm = new SlurmCli();
 * const jobId = await slurm.submit({ name: "pipeline:r1:verify", script, indices: [0, 1, 2, 3], ... });
 * const tasks = await slurm.tasks("pipeline:r1:verify"); // [{ index: 0, state: "RUNNING", node: "n1" }, ...]
 * ```
 *
 * @module
 */
import type { SlurmSettings } from "../spec.ts";

/** One task of an array job as the scheduler reports it. */
export interface ArrayTask {
  /** The array's job id (what `sbatch` returned). */
  arrayJobId: string;
  /** The task's index: the shard. */
  index: number;
  /** The scheduler's state, for example `PENDING`, `RUNNING`, `COMPLETED`, `FAILED`, `NODE_FAIL`. */
  state: string;
  /** The node it runs on (or ran on), when known. */
  node: string | null;
  /** Why it is pending, when it is (`Resources`, `BeginTime`, ...). */
  reason: string | null;
}

/** An array job to submit. */
export interface ArraySubmission {
  /** The job name; {@link ArrayScheduler.tasks} finds the tasks by it. */
  name: string;
  /** The batch script; the task index is `$SLURM_ARRAY_TASK_ID`. */
  script: string;
  /** The task indices to run (the unfinished shards). */
  indices: readonly number[];
  /** Where each task's output goes; `%a` is replaced by the task index. */
  log: string;
  /** The tasks' working directory. */
  chdir: string;
  settings: SlurmSettings;
}

/** Submits, lists and cancels array jobs. */
export interface ArrayScheduler {
  /** Submits an array; returns its job id. */
  submit(job: ArraySubmission): Promise<string>;
  /** Every task of the arrays named `name` the scheduler still knows, finished ones included. */
  tasks(name: string): Promise<ArrayTask[]>;
  /** Cancels the arrays named `name` (and the given job ids). */
  cancel(name: string, jobIds: readonly string[]): Promise<void>;
}

/** The states after which a Slurm task runs no more (unless requeued, when it becomes `PENDING` again). */
const FINAL_STATES = new Set([
  "COMPLETED",
  "FAILED",
  "CANCELLED",
  "TIMEOUT",
  "NODE_FAIL",
  "PREEMPTED",
  "OUT_OF_MEMORY",
  "BOOT_FAIL",
  "DEADLINE",
  "SPECIAL_EXIT",
  "REVOKED",
]);

/** Whether a task in `state` may still run (pending, running, requeued, suspended...). */
export function isActive(state: string): boolean {
  return !FINAL_STATES.has(state.replace(/\+$/, "").split(" ")[0]);
}

/** The `--array` value for task indices: `0-3`, `1,3,5-7`. */
export function arraySpec(indices: readonly number[]): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j;
  }
  return parts.join(",");
}

/** The arguments of `sbatch` for a submission. */
export function sbatchArgs(job: ArraySubmission): string[] {
  const s = job.settings;
  return [
    "--parsable",
    `--array=${arraySpec(job.indices)}`,
    `--job-name=${job.name}`,
    `--output=${job.log}`,
    "--open-mode=append", // a requeued task appends to its log instead of truncating it
    "--requeue",
    `--chdir=${job.chdir}`,
    ...(s.partition ? [`--partition=${s.partition}`] : []),
    ...(s.account ? [`--account=${s.account}`] : []),
    ...(s.time_limit ? [`--time=${s.time_limit}`] : []),
    ...(s.cpus ? [`--cpus-per-task=${s.cpus}`] : []),
    ...(s.memory ? [`--mem=${s.memory}`] : []),
    ...(s.gpus ? [`--gres=gpu:${s.gpus}`] : []),
    ...s.sbatch_flags,
    job.script,
  ];
}

/** The `squeue` output format {@link parseSqueue} reads: array job id, task id, state, node, reason. */
const SQUEUE_FORMAT = "%F|%K|%T|%N|%r|%j";

/** Parses `squeue -h -r -o SQUEUE_FORMAT` lines, keeping the array tasks named `name`. */
export function parseSqueue(text: string, name: string): ArrayTask[] {
  const tasks: ArrayTask[] = [];
  for (const line of text.split("\n")) {
    const [arrayJobId, index, state, node, reason, jobName] = line.trim().split("|");
    if (jobName !== name || !/^\d+$/.test(index ?? "")) continue;
    tasks.push({
      arrayJobId,
      index: Number(index),
      state,
      node: node || null,
      reason: reason && reason !== "None" ? reason : null,
    });
  }
  return tasks;
}

/** Runs a Slurm command; throws with its stderr and a hint when it fails or is missing. */
async function slurm(command: string, args: string[]): Promise<string> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(
        `'${command}' not found: executor 'slurm' needs the Slurm client commands on PATH (run the pipeline ` +
          `on a login node of the cluster, or set 'executor: local')`,
      );
    }
    throw error;
  }
  const stdout = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    const stderr = new TextDecoder().decode(output.stderr).trim();
    throw new Error(`${command} ${args.join(" ")} failed (exit ${output.code}): ${stderr || stdout.trim()}`);
  }
  return stdout;
}

/** The Slurm client commands (`sbatch`, `squeue`, `scancel`) of this host, with `SLURM_CONF` as set. */
export class SlurmCli implements ArrayScheduler {
  async submit(job: ArraySubmission): Promise<string> {
    const out = (await slurm("sbatch", sbatchArgs(job))).trim();
    const id = out.split(";")[0]; // `ID` or `ID;cluster`
    if (!/^\d+$/.test(id)) throw new Error(`sbatch answered '${out}', not a job id`);
    return id;
  }

  async tasks(name: string): Promise<ArrayTask[]> {
    // `--name` with `--states=all` lists finished tasks too, while Slurm keeps them (MinJobAge).
    const out = await slurm("squeue", ["-h", "-r", "--states=all", `--name=${name}`, "-o", SQUEUE_FORMAT]);
    return parseSqueue(out, name);
  }

  async cancel(name: string, jobIds: readonly string[]): Promise<void> {
    await slurm("scancel", [`--name=${name}`]);
    if (jobIds.length > 0) await slurm("scancel", [...jobIds]).catch(() => {}); // already gone is fine
  }
}
