/**
 * The overhead of the Slurm path: `verify.code` over 800 HumanEval samples (the canonical solutions and `pass`
 * stubs of the 164 problems, repeated), once in the pipeline's process and once as 4 shards on a real
 * two-node Slurm cluster started on this machine (tests/cluster/harness.ts; each node has 1 CPU, so 2 shards
 * run at a time, each with one sandbox process; the local run uses 2 sandbox processes on the 2 cores).
 * Prints the wall time of both and splits the sharded step's time into submission (`sbatch`), queueing and
 * shard start-up (until a shard's item loop starts), the shards' work, the poll lag after the last shard
 * finished, and the merge. Needs `slurm-wlm` and root (to start the daemons) and the shared HumanEval file.
 *
 * Run: deno task bench slurm
 */
import { sharedData } from "../src/testing/shared_data.ts";
import { readShardCommit, type ShardCommit, ShardFiles } from "../src/workflow/executor/shards.ts";
import { StepPaths } from "../src/workflow/artifacts.ts";
import { RunStore } from "../src/workflow/store.ts";
import { CLI } from "../tests/fixtures/chain.ts";
import { humanEvalVerifyWorkflow, writeHumanEvalSamples } from "../tests/fixtures/humaneval_verify.ts";
import { clusterSkipped, startCluster } from "../tests/cluster/harness.ts";

const SAMPLES = 800;
const SHARDS = 4;
/** The cluster's nodes (1 CPU each): shards run this many at a time. */
const NODES = 2;

async function run(dir: string, runId: string, source: string, env: Record<string, string>): Promise<number> {
  const file = `${dir}/${runId}.yaml`;
  await Deno.writeTextFile(file, source);
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "run", file, "--runs-dir", `${dir}/runs`, "--run-id", runId, "--force"],
    env,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`run ${runId} failed: ${new TextDecoder().decode(out.stderr)}`);
  return (performance.now() - t0) / 1000;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

if (import.meta.main) {
  const humanEval = sharedData("humaneval/HumanEval.jsonl.gz");
  if (humanEval.ignore || clusterSkipped) {
    console.log("skipped: needs slurm-wlm (slurmctld) and ../shared/datasets/humaneval/HumanEval.jsonl.gz");
    Deno.exit(0);
  }
  const dir = await Deno.makeTempDir({ prefix: "bench-slurm-" });
  await writeHumanEvalSamples(humanEval.path, `${dir}/samples.jsonl`, SAMPLES);
  const cluster = await startCluster();
  try {
    const localSeconds = await run(
      dir,
      "local",
      humanEvalVerifyWorkflow(humanEval.path, `${dir}/samples.jsonl`, "local", 2),
      {},
    );
    const slurm = `{ type: slurm, shards: ${SHARDS}, poll_interval: 1s }`;
    const shardedSeconds = await run(
      dir,
      "sharded",
      humanEvalVerifyWorkflow(humanEval.path, `${dir}/samples.jsonl`, slurm, 1),
      cluster.env,
    );
    const same = (await Deno.readTextFile(`${dir}/runs/local/steps/verify/out/results.jsonl`)) ===
      (await Deno.readTextFile(`${dir}/runs/sharded/steps/verify/out/results.jsonl`));
    const store = new RunStore(`${dir}/runs/pipeline.db`);
    const events = store.eventsAfter("sharded", 0, 100_000).filter((e) => e.step_id === "verify");
    const at = (type: string) => events.find((e) => e.type === type)!;
    const started = at("step.started").ts;
    const submitted = at("shards.submitted");
    const merged = at("shards.merged");
    const finished = at("step.finished").ts;
    const files = new ShardFiles(new StepPaths(`${dir}/runs/sharded`, "verify"));
    const commits: ShardCommit[] = [];
    for (let k = 0; k < SHARDS; k++) commits.push((await readShardCommit(files.commit(k)))!);
    const localStep = store.getStep("local", "verify")!;
    store.close();
    const submitMs = JSON.parse(submitted.data).submitMs as number;
    const mergeMs = JSON.parse(merged.data).mergeMs as number;
    const firstStart = Math.min(...commits.map((c) => c.started));
    const lastDone = Math.max(...commits.map((c) => c.updated));
    const work = commits.map((c) => c.updated - c.started);
    const startup = commits.map((c) => c.started - submitted.ts);
    console.log(`verify.code over ${SAMPLES} HumanEval samples (machine: shared 2-core VM; wall times)`);
    console.log(
      `  local (one process, 2 sandboxes):      whole run ${localSeconds.toFixed(2)} s, step ${
        seconds(localStep.finished! - localStep.started!)
      }`,
    );
    console.log(
      `  slurm (${SHARDS} shards on 2 nodes x 1 CPU): whole run ${shardedSeconds.toFixed(2)} s, step ${
        seconds(finished - started)
      }; merged output ${same ? "byte-identical to the local one" : "DIFFERS from the local one"}`,
    );
    console.log(`  the sharded step's time:`);
    console.log(
      `    head set-up until sbatch returned:    ${seconds(submitted.ts - started)} (sbatch itself ${
        seconds(submitMs)
      })`,
    );
    console.log(
      `    queue + shard start-up (per shard):  ${startup.map(seconds).join(", ")} (first item loop began ${
        seconds(firstStart - submitted.ts)
      } after submission)`,
    );
    console.log(`    shard work (item loops):              ${work.map(seconds).join(", ")}`);
    console.log(`    poll lag after the last shard:        ${seconds(merged.ts - mergeMs - lastDone)}`);
    console.log(`    merge (${SAMPLES} records):                ${seconds(mergeMs)}`);
    console.log(`    after the merge (head runs the kind): ${seconds(finished - merged.ts)}`);
    const stepMs = finished - started;
    const workPerNode = work.reduce((a, b) => a + b, 0) / NODES;
    console.log(
      `  overhead beyond the shards' work (step time - total work / ${NODES} nodes): ${
        seconds(stepMs - workPerNode)
      } (${((100 * (stepMs - workPerNode)) / stepMs).toFixed(1)}% of the step)`,
    );
  } finally {
    await cluster.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
