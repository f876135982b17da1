/**
 * The Slurm executor on a real two-node cluster (see harness.ts): HumanEval's canonical solutions and stubs
 * verified in 4 shards give the bytes of a local run; a head killed with SIGKILL is resumed from another
 * process, which re-attaches to the running array; a node killed mid-shard (its slurmd and job tree) makes
 * Slurm requeue the shard on the other node, which continues from its last commit with nothing lost or
 * repeated. One cluster serves the file's tests, which run in order.
 */
import assert from "node:assert/strict";
import { sharedData } from "../../src/testing/shared_data.ts";
import { readShardCommit, ShardFiles } from "../../src/workflow/executor/shards.ts";
import { shardJobName } from "../../src/workflow/executor/slurm.ts";
import { StepPaths } from "../../src/workflow/artifacts.ts";
import { RunStore } from "../../src/workflow/store.ts";
import { CLI } from "../fixtures/chain.ts";
import { humanEvalVerifyWorkflow, writeHumanEvalSamples } from "../fixtures/humaneval_verify.ts";
import { type Cluster, clusterSkipped, clusterTest, startCluster } from "./harness.ts";

const humanEval = sharedData("humaneval/HumanEval.jsonl.gz");

let cluster: Cluster | undefined;
async function theCluster(): Promise<Cluster> {
  cluster ??= await startCluster();
  return cluster;
}
// the last test stops the cluster; this covers a run of only some tests (--filter) or a failure
globalThis.addEventListener("unload", () => cluster?.stopNow());

interface Outcome {
  code: number;
  stderr: string;
}

function pipeline(args: string[], env: Record<string, string>): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    env: { PIPELINE_COMMIT_INTERVAL_MS: "0", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function finish(child: Deno.ChildProcess): Promise<Outcome> {
  const out = await child.output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

async function runWorkflow(
  dir: string,
  runId: string,
  source: string,
  env: Record<string, string>,
  flags: string[] = [],
) {
  const file = `${dir}/${runId}.yaml`;
  await Deno.writeTextFile(file, source);
  const args = ["run", file, "--runs-dir", `${dir}/runs`, "--run-id", runId, ...flags];
  const outcome = await finish(pipeline(args, env));
  assert.equal(outcome.code, 0, outcome.stderr);
  return outcome;
}

function output(dir: string, runId: string, step: string, name: string): Promise<string> {
  return Deno.readTextFile(`${dir}/runs/${runId}/steps/${step}/out/${name}.jsonl`);
}

/** Waits until shard `k` of step `work` of run `r` in `dir` has committed at least one item. */
function firstCommit(dir: string, k = 0): Promise<void> {
  const files = new ShardFiles(new StepPaths(`${dir}/runs/r`, "work"));
  return waitFor(`shard ${k} to commit`, async () => {
    const commit = await readShardCommit(files.commit(k)).catch(() => undefined);
    return commit !== undefined && commit.items > commit.first;
  }, 60_000);
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const SLURM = (shards: number) => `{ type: slurm, shards: ${shards}, poll_interval: 500ms }`;

function workSource(executor: string, items: number, workMs: number): string {
  return `name: slow
executor: ${executor}
steps:
  - id: work
    uses: test.work
    with: { items: ${items}, seed: 3, work_ms: ${workMs}, batch_size: 1 }
`;
}

Deno.test({
  name:
    "cluster: HumanEval canonical solutions and stubs verified in 4 shards equal a local run byte for byte",
  ignore: humanEval.ignore || clusterSkipped,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const slurm = await theCluster();
    const dir = await Deno.makeTempDir({ prefix: "cluster-humaneval-" });
    await writeHumanEvalSamples(humanEval.path, `${dir}/samples.jsonl`);
    const source = (executor: string) =>
      humanEvalVerifyWorkflow(humanEval.path, `${dir}/samples.jsonl`, executor, 1);
    await runWorkflow(dir, "local", source("local"), {});
    // --force: the local run's results would otherwise be reused (the executor is not part of the cache key)
    await runWorkflow(dir, "sharded", source(SLURM(4)), slurm.env, ["--force"]);
    const local = await output(dir, "local", "verify", "results");
    const sharded = await output(dir, "sharded", "verify", "results");
    assert.equal(sharded.split("\n").length - 1, 328);
    assert.equal(sharded, local);
    const store = new RunStore(`${dir}/runs/pipeline.db`);
    try {
      const shards = store.getShards("sharded", "verify");
      assert.deepEqual(shards.map((s) => [s.state, s.first, s.end]), [
        ["done", 0, 82],
        ["done", 82, 164],
        ["done", 164, 246],
        ["done", 246, 328],
      ]);
      assert.deepEqual(new Set(shards.map((s) => s.node)), new Set(["n1", "n2"]), "both nodes did work");
      assert.equal(store.getShardJobs("sharded", "verify").length, 1);
    } finally {
      store.close();
    }
    await Deno.remove(dir, { recursive: true });
  },
});

clusterTest({
  name: "cluster: the head killed with SIGKILL mid-step is resumed by another process, which re-attaches",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const slurm = await theCluster();
    const dir = await Deno.makeTempDir({ prefix: "cluster-head-" });
    await runWorkflow(dir, "local", workSource("local", 48, 0), {});
    const file = `${dir}/r.yaml`;
    await Deno.writeTextFile(file, workSource(SLURM(4), 48, 250));
    const head = pipeline(["run", file, "--runs-dir", `${dir}/runs`, "--run-id", "r"], slurm.env);
    const headDone = finish(head);
    await firstCommit(dir);
    head.kill("SIGKILL");
    assert.equal((await headDone).code, 137);
    const resumed = await finish(pipeline(["resume", "r", "--runs-dir", `${dir}/runs`], slurm.env));
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(await output(dir, "r", "work", "results"), await output(dir, "local", "work", "results"));
    const log = await Deno.readTextFile(`${dir}/runs/r/logs/work.log`);
    assert.match(log, /re-attached to running shards/);
    const store = new RunStore(`${dir}/runs/pipeline.db`);
    try {
      assert.equal(store.getShardJobs("r", "work").length, 1, "nothing was resubmitted");
      assert.equal(store.ledgerCount("r", "work"), 48);
      assert.equal(store.getRun("r")?.status, "done");
    } finally {
      store.close();
    }
    await Deno.remove(dir, { recursive: true });
  },
});

clusterTest({
  name: "cluster: pipeline cancel cancels the run's array (scancel) and stops its head",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const slurm = await theCluster();
    const dir = await Deno.makeTempDir({ prefix: "cluster-cancel-" });
    const file = `${dir}/r.yaml`;
    await Deno.writeTextFile(file, workSource(SLURM(4), 400, 100));
    const headDone = finish(pipeline(["run", file, "--runs-dir", `${dir}/runs`, "--run-id", "r"], slurm.env));
    await firstCommit(dir);
    const cancelled = await finish(pipeline(["cancel", "r", "--runs-dir", `${dir}/runs`], slurm.env));
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.match(cancelled.stderr, /cancelled the array jobs of work/);
    const head = await headDone;
    assert.equal(head.code, 130, head.stderr);
    // every task ends CANCELLED (after COMPLETING while Slurm stops it; cancelled pending tasks share a line)
    let states: string[] = [];
    await waitFor("the tasks to end", async () => {
      const name = shardJobName(`${dir}/runs/r`, "r", "work");
      const args = ["-h", "-r", "--states=all", `--name=${name}`, "-o", "%T"];
      states = (await slurm.command("squeue", args)).trim().split("\n");
      return states.every((state) => state !== "COMPLETING");
    }, 30_000);
    assert.ok(states.length >= 1 && states.every((state) => state === "CANCELLED"), states.join(","));
    const store = new RunStore(`${dir}/runs/pipeline.db`);
    try {
      assert.equal(store.getRun("r")?.status, "interrupted");
      assert.equal(store.getStep("r", "work")?.status, "interrupted");
    } finally {
      store.close();
    }
    await Deno.remove(dir, { recursive: true });
  },
});

clusterTest({
  name: "cluster: a node killed mid-shard; Slurm requeues the shard, which continues from its last commit",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const slurm = await theCluster();
    const dir = await Deno.makeTempDir({ prefix: "cluster-node-" });
    const items = 30;
    await runWorkflow(dir, "local", workSource("local", items, 0), {});
    const file = `${dir}/r.yaml`;
    await Deno.writeTextFile(file, workSource(SLURM(2), items, 300));
    const headDone = finish(pipeline(["run", file, "--runs-dir", `${dir}/runs`, "--run-id", "r"], slurm.env));
    const files = new ShardFiles(new StepPaths(`${dir}/runs/r`, "work"));
    let victim = -1;
    let committedBeforeKill = 0;
    await waitFor("a shard on n1 to commit a few items", async () => {
      for (const k of [0, 1]) {
        const commit = await readShardCommit(files.commit(k)).catch(() => undefined);
        if (commit?.node === "n1" && commit.items - commit.first >= 3 && !commit.finished) {
          victim = k;
          committedBeforeKill = commit.items;
          return true;
        }
      }
      return false;
    }, 60_000);
    await slurm.killNode("n1");
    const release = setInterval(() => slurm.releaseHeld().catch(() => {}), 1000);
    let outcome: Outcome;
    try {
      outcome = await headDone;
    } finally {
      clearInterval(release);
    }
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.equal(await output(dir, "r", "work", "results"), await output(dir, "local", "work", "results"));
    const commit = (await readShardCommit(files.commit(victim)))!;
    assert.equal(commit.node, "n2", "the requeued shard ran on the other node");
    assert.ok(commit.restarts >= 1, `restart count ${commit.restarts}`);
    // every item of the shard committed exactly once, in order, across both runs of the task
    assert.equal(commit.ledger[0][0], commit.first);
    assert.equal(commit.ledger.at(-1)![1], commit.end);
    commit.ledger.slice(1).forEach(([from], i) => assert.equal(from, commit.ledger[i][1]));
    const log = await Deno.readTextFile(files.log(victim));
    const resumedAt = [...log.matchAll(/items (\d+)\.\.\d+ of/g)].map((m) => Number(m[1]));
    assert.equal(resumedAt.length, 2, log);
    assert.ok(
      resumedAt[1] >= committedBeforeKill,
      `continued at ${resumedAt[1]}, had ${committedBeforeKill}`,
    );
    const store = new RunStore(`${dir}/runs/pipeline.db`);
    try {
      assert.equal(store.ledgerCount("r", "work"), items);
      assert.equal(store.getShards("r", "work")[victim].restarts, commit.restarts);
    } finally {
      store.close();
    }
    await Deno.remove(dir, { recursive: true });
  },
});

clusterTest({
  name: "cluster: stop the daemons",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await cluster?.stop();
    cluster = undefined;
  },
});
