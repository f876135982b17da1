/**
 * The sharded path without a cluster: the head's code (submission, polling, merge, resubmission) with each
 * array task run as a local process by {@link LocalArrayScheduler}, against the same workflow run locally.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { testStepKinds } from "../../steps/testing.ts";
import { createRun, type ExecuteOptions, executeRun, resetFrom } from "../engine.ts";
import { applyOverrides, parseWorkflow } from "../spec.ts";
import { RunStore } from "../store.ts";
import { readShardCommit, ShardFiles, shardRange } from "./shards.ts";
import { LocalArrayScheduler } from "./testing.ts";
import { StepPaths } from "../artifacts.ts";
import { arraySpec, isActive, parseSqueue, sbatchArgs } from "./slurm_cli.ts";
import { shardJobName } from "./slurm.ts";
import { ExecutorSpec } from "../spec.ts";

const ENTRY = fileURLToPath(new URL("../../../tests/fixtures/pipeline.ts", import.meta.url));

function workflowSource(executor: string, failItems = "[]"): string {
  return `name: sharded
executor: ${executor}
steps:
  - id: work
    uses: test.work
    with: { items: 37, seed: 7, batch_size: 4, fail_items: ${failItems} }
  - id: after
    uses: test.work
    needs: [work]
    with: { items: 5, input: "\${{ steps.work.outputs.results }}" }
`;
}

async function start(dir: string, runId: string, source: string): Promise<ExecuteOptions> {
  const workflow = parseWorkflow(source, "sharded.yaml", testStepKinds);
  const store = new RunStore(`${dir}/pipeline.db`);
  const options = {
    store,
    workflow,
    params: applyOverrides(workflow, []),
    runId,
    runDir: `${dir}/${runId}`,
    commitIntervalMs: 0,
    entry: ENTRY,
  };
  await createRun(options);
  return options;
}

async function outputs(options: ExecuteOptions): Promise<string[]> {
  return await Promise.all(
    ["work", "after"].map((step) => Deno.readTextFile(`${options.runDir}/steps/${step}/out/results.jsonl`)),
  );
}

const SLURM = "{ type: slurm, shards: 3, poll_interval: 50ms }";

Deno.test("a sharded run merges to the bytes of a local run, with every item committed once", async () => {
  const dir = await Deno.makeTempDir();
  const local = await start(dir, "local", workflowSource("local"));
  assert.equal(await executeRun(local), "done");
  const scheduler = new LocalArrayScheduler();
  const sharded = await start(dir, "sharded", workflowSource(SLURM));
  try {
    assert.equal(await executeRun({ ...sharded, scheduler, force: true }), "done");
  } finally {
    await scheduler.close();
  }
  assert.deepEqual(await outputs(sharded), await outputs(local));
  assert.equal(sharded.store.ledgerCount("sharded", "work"), 37);
  assert.deepEqual(scheduler.submissions.map((s) => s.indices), [[0, 1, 2], [0, 1, 2]]);
  const shards = sharded.store.getShards("sharded", "work");
  assert.deepEqual(shards.map((s) => [s.shard, s.state, s.first, s.end, s.items_done]), [
    [0, "done", 0, 12, 12],
    [1, "done", 12, 24, 12],
    [2, "done", 24, 37, 13],
  ]);
  const files = new ShardFiles(new StepPaths(sharded.runDir, "work"));
  const commit = await readShardCommit(files.commit(2));
  // the shard's commits follow each other from its first item to its last
  const ledger = commit?.ledger ?? [];
  assert.equal(ledger[0][0], 24);
  assert.equal(ledger.at(-1)![1], 37);
  ledger.slice(1).forEach(([from], i) => assert.equal(from, ledger[i][1]));
  sharded.store.close();
  local.store.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a failed shard fails the step; resuming resubmits only the unfinished shard", async () => {
  const dir = await Deno.makeTempDir();
  const local = await start(dir, "local", workflowSource("local"));
  assert.equal(await executeRun(local), "done");
  const scheduler = new LocalArrayScheduler();
  // item 15 (shard 1 of 3) fails on its first attempt
  const options = { ...(await start(dir, "s", workflowSource(SLURM, "[15]"))), scheduler, force: true };
  try {
    assert.equal(await executeRun(options), "failed");
    assert.match(options.store.getStep("s", "work")?.error ?? "", /1 of 3 shards ended unfinished: shard 1/);
    // the other shards were not stopped by shard 1's failure
    const states = options.store.getShards("s", "work").map((s) => s.state);
    assert.equal(states[1], "failed");
    assert.ok(states[0] !== "failed" && states[2] !== "failed", states.join(","));
    assert.equal(await executeRun(options), "done");
  } finally {
    await scheduler.close();
  }
  assert.deepEqual(scheduler.submissions.map((s) => s.indices), [[0, 1, 2], [1], [0, 1, 2]]);
  // the injected failure changes no value: the merged records are the local run's
  assert.equal((await outputs(options))[0], (await outputs(local))[0]);
  options.store.close();
  local.store.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("shard ranges are contiguous, cover every item once and differ in size by at most one", () => {
  for (const [shards, total] of [[4, 164], [3, 37], [5, 2], [1, 0]]) {
    const ranges = Array.from({ length: shards }, (_, k) => shardRange(k, shards, total));
    assert.equal(ranges[0].first, 0);
    assert.equal(ranges.at(-1)!.end, total);
    ranges.slice(1).forEach((range, i) => assert.equal(range.first, ranges[i].end));
    const sizes = ranges.map((r) => r.end - r.first);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
  }
});

Deno.test("sbatch arguments carry the executor settings; squeue lines are parsed per task", () => {
  const settings = ExecutorSpec.parse({
    type: "slurm",
    partition: "gpu",
    account: "lab",
    time_limit: "02:00:00",
    cpus: 8,
    memory: "16G",
    gpus: 2,
    sbatch_flags: ["--qos=high"],
  });
  assert.ok(settings.type === "slurm");
  const args = sbatchArgs({
    name: "pipeline:r:s",
    script: "/x/job.sh",
    indices: [3, 0, 1],
    log: "/x/%a/slurm.log",
    chdir: "/w",
    settings,
  });
  assert.deepEqual(args, [
    "--parsable",
    "--array=0-1,3",
    "--job-name=pipeline:r:s",
    "--output=/x/%a/slurm.log",
    "--open-mode=append",
    "--requeue",
    "--chdir=/w",
    "--partition=gpu",
    "--account=lab",
    "--time=02:00:00",
    "--cpus-per-task=8",
    "--mem=16G",
    "--gres=gpu:2",
    "--qos=high",
    "/x/job.sh",
  ]);
  assert.equal(arraySpec([5, 1, 2, 3, 7, 8]), "1-3,5,7-8");
  const tasks = parseSqueue(
    "7|0|RUNNING|n1|None|pipeline:r:s\n7|2|PENDING||BeginTime|pipeline:r:s\n8|N/A|RUNNING|n2|None|other\n",
    "pipeline:r:s",
  );
  assert.deepEqual(tasks, [
    { arrayJobId: "7", index: 0, state: "RUNNING", node: "n1", reason: null },
    { arrayJobId: "7", index: 2, state: "PENDING", node: null, reason: "BeginTime" },
  ]);
  assert.ok(isActive("PENDING") && isActive("RUNNING") && !isActive("NODE_FAIL") && !isActive("COMPLETED"));
});

Deno.test("an interrupted head leaves its shards running; re-running the step (--from) cancels them", async () => {
  const dir = await Deno.makeTempDir();
  const source = workflowSource(SLURM).replace("batch_size: 4,", "batch_size: 1, work_ms: 200,");
  const options = await start(dir, "i", source);
  const scheduler = new LocalArrayScheduler();
  const interrupt = new AbortController();
  try {
    const running = executeRun({ ...options, scheduler, signal: interrupt.signal });
    const files = new ShardFiles(new StepPaths(options.runDir, "work"));
    while (!(await readShardCommit(files.commit(0)))?.ledger.length) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    interrupt.abort();
    assert.equal(await running, "interrupted");
    const tasks = await scheduler.tasks(shardJobName(options.runDir, "i", "work"));
    assert.deepEqual(tasks.map((t) => t.state), ["RUNNING", "RUNNING", "RUNNING"]);
    await resetFrom({ ...options, scheduler }, "work");
    await scheduler.close();
    const after = await scheduler.tasks(shardJobName(options.runDir, "i", "work"));
    assert.deepEqual(after.map((t) => t.state), ["CANCELLED", "CANCELLED", "CANCELLED"]);
    assert.deepEqual(options.store.getShardJobs("i", "work"), [], "the step's array jobs are forgotten");
  } finally {
    await scheduler.close();
    options.store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
