/**
 * The cache key follows the content of the files a step reads through its parameters: an edited dataset
 * file or model directory re-runs the steps that read it in the next run; unchanged ones are reused.
 */
import assert from "node:assert/strict";
import { z } from "zod";
import { writeRandomModel } from "../inference/testing.ts";
import { testStepKinds } from "../steps/testing.ts";
import { executeRun } from "./engine.ts";
import { parseWorkflow } from "./spec.ts";
import { defineStep, PathParam, readRecords, type StepKind } from "./step.ts";
import { createTestRun } from "./testing.ts";

/** Runs `source` as a new run `runId` in `runsDir`; returns the final status and each step's status. */
async function run(runsDir: string, runId: string, source: string) {
  const options = await createTestRun(runsDir, parseWorkflow(source, "cache.yaml", testStepKinds), { runId });
  const { store } = options;
  try {
    const status = await executeRun(options);
    const steps = Object.fromEntries(store.getSteps(runId).map((s) => [s.step_id, s]));
    return { status, steps };
  } finally {
    store.close();
  }
}

Deno.test("editing a dataset file re-runs dataset.load in the next run", async () => {
  const dir = await Deno.makeTempDir();
  const data = `${dir}/data.jsonl`;
  await Deno.writeTextFile(data, '{"id":1,"text":"old"}\n');
  const source = `name: data\nsteps:\n  - id: load\n    uses: dataset.load\n    with: { path: "${data}" }\n`;
  assert.equal((await run(dir, "r1", source)).steps.load.status, "done");
  assert.equal((await run(dir, "r2", source)).steps.load.status, "cached", "unchanged: reused");

  await Deno.writeTextFile(data, '{"id":1,"text":"new"}\n'); // same size, same name
  const edited = await run(dir, "r3", source);
  assert.equal(edited.status, "done");
  assert.equal(edited.steps.load.status, "done", "edited: computed again");
  const records = await readRecords(JSON.parse(edited.steps.load.outputs!).records);
  assert.deepEqual(records, [{ id: 1, text: "new" }]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("editing a model directory re-runs the step that reads it, not the others", async () => {
  const dir = await Deno.makeTempDir();
  const model = `${dir}/model`;
  await writeRandomModel(model, undefined, { seed: 1 });
  await Deno.writeTextFile(`${dir}/prompts.jsonl`, '{"id":"a","prompt":"1+1="}\n');
  const source = `name: gen
steps:
  - id: prompts
    uses: dataset.load
    with: { path: "${dir}/prompts.jsonl" }
  - id: sample
    uses: generate
    needs: [prompts]
    with: { model: "${model}", prompts: "\${{ steps.prompts.outputs.records }}", max_new_tokens: 2 }
`;
  const first = await run(dir, "r1", source);
  assert.equal(first.status, "done", first.steps.sample.error ?? "");
  const again = await run(dir, "r2", source);
  assert.deepEqual([again.steps.prompts.status, again.steps.sample.status], ["cached", "cached"]);

  await writeRandomModel(model, undefined, { seed: 2 }); // new weights, same file names and sizes
  const edited = await run(dir, "r3", source);
  assert.equal(edited.status, "done", edited.steps.sample.error ?? "");
  assert.deepEqual([edited.steps.prompts.status, edited.steps.sample.status], ["cached", "done"]);
  assert.notEqual(edited.steps.sample.cache_key, first.steps.sample.cache_key);
  await Deno.remove(dir, { recursive: true });
});

/** Copies a file's lines to records, one item each; fails once at `fail_at` while `fail_marker` is absent. */
const readLines = defineStep({
  name: "test.read_lines",
  version: "1",
  source: import.meta.url,
  description: "one record per line of a file, with one injected failure",
  params: z.strictObject({ path: PathParam, fail_at: z.number().int(), fail_marker: z.string() }),
  outputs: { lines: { kind: "records" } },
  async run(ctx) {
    const { path, fail_at: failAt, fail_marker: marker } = ctx.params;
    const lines = (await Deno.readTextFile(path)).trim().split("\n");
    await ctx.forEachItem({
      output: "lines",
      items: lines,
      batchSize: 1,
      process: async (batch, start) => {
        if (start === failAt && !(await Deno.stat(marker).catch(() => undefined))) {
          await Deno.writeTextFile(marker, "");
          throw new Error(`injected failure at line ${start + 1}`);
        }
        return batch.map((line) => ({ line }));
      },
    });
  },
});

Deno.test("a failed step whose input file changed before the resume starts over", async () => {
  const dir = await Deno.makeTempDir();
  const data = `${dir}/lines.txt`;
  await Deno.writeTextFile(data, "a\nb\nc\nd\n");
  const registry = new Map<string, StepKind>([...testStepKinds, [readLines.name, readLines as StepKind]]);
  const source = `name: lines
steps:
  - id: copy
    uses: test.read_lines
    with: { path: "${data}", fail_at: 2, fail_marker: "${dir}/failed" }
`;
  const options = await createTestRun(dir, parseWorkflow(source, "lines.yaml", registry), {
    commitIntervalMs: 0,
  });
  const { store } = options;
  assert.equal(await executeRun(options), "failed");
  assert.equal(store.getStep("r", "copy")!.items_done, 2, "lines a and b were committed");

  await Deno.writeTextFile(data, "A\nB\nC\nD\n");
  assert.equal(await executeRun(options), "done");
  const records = await readRecords(JSON.parse(store.getStep("r", "copy")!.outputs!).lines);
  assert.deepEqual(records, [{ line: "A" }, { line: "B" }, { line: "C" }, { line: "D" }]);
  store.close();
  await Deno.remove(dir, { recursive: true });
});
