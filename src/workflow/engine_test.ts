import assert from "node:assert/strict";
import { z } from "zod";
import { testStepKinds } from "../steps/testing.ts";
import { StepPaths } from "./artifacts.ts";
import { StepRun } from "./context.ts";
import { type ExecuteOptions, executeRun, resetFrom } from "./engine.ts";
import { SilentReporter } from "./progress.ts";
import { parseWorkflow, type StepRegistry } from "./spec.ts";
import { defineStep, type StepKind } from "./step.ts";
import { RunStore } from "./store.ts";
import { createTestRun } from "./testing.ts";

const SOURCE = `name: t
params:
  fail_times: { type: integer, default: 1 }
  attempts: { type: integer, default: 1 }
steps:
  - id: a
    uses: test.work
    with: { items: 12, batch_size: 2 }
  - id: b
    uses: test.work
    needs: [a]
    retry: { attempts: 1, backoff: 10ms }
    with: { items: 12, batch_size: 2, fail_items: [7], fail_times: "\${{ params.fail_times }}", input: "\${{ steps.a.outputs.results }}" }
  - id: c
    uses: test.work
    needs: [b]
    with: { items: 3, input: "\${{ steps.b.outputs.results }}" }
`;

async function setup(
  source = SOURCE,
  sets: string[] = [],
  runId = "r",
  dir?: string,
  registry: StepRegistry = testStepKinds,
): Promise<ExecuteOptions> {
  const runsDir = dir ?? await Deno.makeTempDir();
  const workflow = parseWorkflow(source, "t.yaml", registry);
  return await createTestRun(runsDir, workflow, { sets, runId, commitIntervalMs: 0 });
}

Deno.test("a failed item fails the step; resume re-runs only the uncommitted items", async () => {
  const options = await setup();
  assert.equal(await executeRun(options), "failed");
  const failed = options.store.getStep("r", "b")!;
  assert.equal(failed.status, "failed");
  assert.match(failed.error!, /injected failure at item 7/);
  assert.equal(failed.items_done, 6, "the batches before the failing one stay committed");
  assert.equal(options.store.getStep("r", "c")!.status, "pending");
  assert.equal(await executeRun(options), "done");
  assert.equal(options.store.ledgerCount("r", "b"), 12);
  assert.equal(options.store.getStep("r", "b")!.attempts, 2);
  options.store.close();
});

Deno.test("retry with backoff recovers from transient failures within one run", async () => {
  const options = await setup(SOURCE.replace("attempts: 1, backoff", "attempts: 3, backoff"), [
    "fail_times=2",
  ]);
  assert.equal(await executeRun(options), "done");
  assert.equal(options.store.getStep("r", "b")!.attempts, 3);
  options.store.close();
});

Deno.test("an unchanged workflow reuses finished steps of an earlier run; --force recomputes", async () => {
  const first = await setup(SOURCE, ["fail_times=0"]);
  assert.equal(await executeRun(first), "done");
  const dir = first.runDir.replace(/\/r$/, "");
  first.store.close();
  const second = await setup(SOURCE, ["fail_times=0"], "r2", dir);
  assert.equal(await executeRun(second), "done");
  assert.deepEqual(second.store.getSteps("r2").map((s) => s.status), ["cached", "cached", "cached"]);
  const a = await Deno.readTextFile(`${dir}/r/steps/c/out/results.jsonl`);
  assert.equal(await Deno.readTextFile(`${dir}/r2/steps/c/out/results.jsonl`), a);
  second.store.close();
  const third = await setup(SOURCE, ["fail_times=0"], "r3", dir);
  assert.equal(await executeRun({ ...third, force: true }), "done");
  assert.deepEqual(third.store.getSteps("r3").map((s) => s.status), ["done", "done", "done"]);
  third.store.close();
});

Deno.test("resetFrom re-runs a step and everything downstream only", async () => {
  const options = await setup(SOURCE, ["fail_times=0"]);
  assert.equal(await executeRun(options), "done");
  const before = options.store.getStep("r", "a")!.finished;
  assert.deepEqual((await resetFrom(options, "b")).sort(), ["b", "c"]);
  assert.deepEqual(options.store.getSteps("r").map((s) => s.status), ["done", "pending", "pending"]);
  assert.equal(await executeRun(options), "done");
  assert.equal(options.store.getStep("r", "a")!.finished, before);
  assert.equal(options.store.ledgerCount("r", "b"), 12);
  options.store.close();
});

Deno.test("a step that exceeds its timeout fails with a clear message", async () => {
  const source = `name: slow
steps:
  - id: s
    uses: test.work
    timeout: 100ms
    with: { items: 50, work_ms: 20, batch_size: 1 }
`;
  const options = await setup(source);
  assert.equal(await executeRun(options), "failed");
  const step = options.store.getStep("r", "s")!;
  assert.match(step.error!, /timed out after 100 ms/);
  assert.ok(step.items_done > 0 && step.items_done < 50, `kept ${step.items_done} committed items`);
  options.store.close();
});

Deno.test("independent steps run in parallel up to the workflow's concurrency", async () => {
  const source = `name: par
concurrency: 3
steps:
${
    [1, 2, 3].map((i) =>
      `  - id: s${i}\n    uses: test.work\n    with: { items: 10, work_ms: 30, batch_size: 1 }`
    ).join("\n")
  }
`;
  const options = await setup(source);
  const started = Date.now();
  assert.equal(await executeRun(options), "done");
  const steps = options.store.getSteps("r");
  const overlapping = steps.every((s) => steps.every((t) => s.started! < t.finished!));
  assert.ok(overlapping, `steps overlapped (took ${Date.now() - started} ms)`);
  options.store.close();
});

/** A step kind that declares two outputs and writes only the first. */
const forgetful = defineStep({
  name: "test.forgetful",
  version: "1",
  source: import.meta.url,
  description: "writes `written` but not its declared `forgotten`",
  params: z.strictObject({}),
  outputs: { written: { kind: "records" }, forgotten: { kind: "dir" } },
  async run(ctx) {
    await (await ctx.records("written")).write({ ok: true });
  },
});

Deno.test("a step that does not write a declared output fails naming it, and so does the run", async () => {
  const registry = new Map<string, StepKind>([...testStepKinds, [forgetful.name, forgetful as StepKind]]);
  const source = `name: contract
steps:
  - id: lazy
    uses: test.forgetful
    retry: { attempts: 2, backoff: 10ms }
  - id: after
    uses: test.work
    needs: [lazy]
    with: { items: 2 }
`;
  const options = await setup(source, [], "r", undefined, registry);
  assert.equal(await executeRun(options), "failed");
  const step = options.store.getStep("r", "lazy")!;
  assert.equal(step.status, "failed");
  assert.equal(step.attempts, 2, "the contract failure is an attempt failure, retried per retry:");
  assert.match(step.error!, /finished without writing its dir output 'forgotten'/);
  const run = options.store.getRun("r")!;
  assert.equal(run.status, "failed");
  assert.match(run.error!, /failed steps: lazy/);
  assert.deepEqual(options.store.getSteps("r").map((s) => s.status), ["failed", "pending"]);
  options.store.close();
});

Deno.test("closing a step attempt twice is harmless", async () => {
  const dir = await Deno.makeTempDir();
  const store = new RunStore(`${dir}/pipeline.db`);
  const run = new StepRun({
    runId: "r",
    stepId: "s",
    kind: testStepKinds.get("test.work")!,
    params: {},
    paths: new StepPaths(`${dir}/r`, "s"),
    store,
    reporter: new SilentReporter(),
    signal: new AbortController().signal,
  });
  await run.prepare();
  await (await run.records("results")).write({ item: 0 });
  await run.close();
  await run.close();
  assert.equal(await Deno.readTextFile(`${dir}/r/steps/s/out/results.jsonl`), '{"item":0}\n');
  store.close();
  await Deno.remove(dir, { recursive: true });
});
