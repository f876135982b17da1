/**
 * The cluster commands of the CLI: `shard` (what an array task of a sharded step runs on a node) and
 * `cancel` (stops a run: its array jobs, then its head).
 *
 * @example
 * ```ts ignore
 * await shardCommand(["r1", "verify", "2", "--runs-dir", "/shared/runs"], context);
 * ```
 *
 * @module
 */
import { cancelShardJobs } from "../workflow/executor/cancel.ts";
import { SlurmCli } from "../workflow/executor/slurm_cli.ts";
import { runShard } from "../workflow/executor/worker.ts";
import { ownerAlive, remoteOwnerHost } from "../workflow/owner.ts";
import { parseFlags, UsageError } from "../util/args.ts";
import { type CliContext, EXIT, openStore } from "./workflow.ts";

/** `shard RUN STEP K [--runs-dir DIR]`: runs shard K of a sharded step (started by the step's array job). */
export async function shardCommand(args: string[], context: CliContext): Promise<number> {
  const { values, positionals } = parseFlags({
    args,
    allowPositionals: true,
    options: { "runs-dir": { type: "string", default: "runs" } },
  });
  if (positionals.length !== 3 || !/^\d+$/.test(positionals[2])) {
    throw new UsageError("usage: pipeline shard RUN_ID STEP K [--runs-dir DIR]");
  }
  const [runId, stepId, shard] = positionals;
  const controller = new AbortController();
  const stop = () => controller.abort(new Error("interrupted (SIGTERM): the shard keeps its commits"));
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
  try {
    await runShard({
      runsDir: values["runs-dir"],
      runId,
      stepId,
      shard: Number(shard),
      registry: await context.stepKinds(),
      signal: controller.signal,
    });
    console.error(`shard ${shard} of ${stepId} (run ${runId}): done`);
    return EXIT.done;
  } finally {
    Deno.removeSignalListener("SIGTERM", stop);
    Deno.removeSignalListener("SIGINT", stop);
  }
}

/** `cancel RUN [--runs-dir DIR]`: cancels the run's array jobs (`scancel`) and stops its head (SIGTERM). */
export async function cancelCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags({
    args,
    allowPositionals: true,
    options: { "runs-dir": { type: "string", default: "runs" } },
  });
  if (positionals.length !== 1) throw new UsageError("usage: pipeline cancel RUN_ID [--runs-dir DIR]");
  const runId = positionals[0];
  const store = await openStore(values["runs-dir"]);
  try {
    const run = store.getRun(runId);
    if (!run) {
      throw new UsageError(`no run '${runId}' in ${values["runs-dir"]} (see: deno task pipeline list)`);
    }
    const jobs = store.getShardJobs(runId);
    const runDir = `${values["runs-dir"]}/${runId}`;
    const steps = jobs.length > 0 ? await cancelShardJobs(jobs, runDir, new SlurmCli()) : [];
    for (const step of steps) store.addEvent(runId, step, "shards.cancelled", {});
    if (steps.length > 0) console.error(`cancelled the array jobs of ${steps.join(", ")}`);
    const host = remoteOwnerHost(run);
    if (run.status === "running" && ownerAlive(run) && host) {
      console.error(`its head runs on host ${host}: its shards stop, and it fails; or stop it there`);
    } else if (run.status === "running" && ownerAlive(run)) {
      Deno.kill(run.pid, "SIGTERM");
      console.error(`stopping its head (pid ${run.pid}); it marks the run interrupted`);
    } else if (steps.length === 0) {
      console.error(`run '${runId}' is ${run.status}: nothing runs`);
    }
    return EXIT.done;
  } finally {
    store.close();
  }
}
