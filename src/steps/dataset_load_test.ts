import assert from "node:assert/strict";
import { stepKinds } from "./mod.ts";
import { createRun, executeRun } from "../workflow/engine.ts";
import { parseWorkflow } from "../workflow/spec.ts";
import { readRecords } from "../workflow/step.ts";
import { RunStore } from "../workflow/store.ts";
import { seededShuffle } from "./dataset_load.ts";
import { sharedData } from "../testing/shared_data.ts";

const humanEval = sharedData("humaneval/HumanEval.jsonl.gz");
const math500 = sharedData("math/math500.jsonl");

async function load(
  withBlock: string,
): Promise<{ status: string; records: unknown[]; error: string | null }> {
  const dir = await Deno.makeTempDir();
  const workflow = parseWorkflow(
    `name: d\nsteps:\n  - id: load\n    uses: dataset.load\n    with: ${withBlock}\n`,
    "d.yaml",
    stepKinds,
  );
  const store = new RunStore(`${dir}/pipeline.db`);
  const options = { store, workflow, params: {}, runId: "r", runDir: `${dir}/r` };
  await createRun(options);
  const status = await executeRun(options);
  const step = store.getStep("r", "load")!;
  const records = step.outputs ? await readRecords(JSON.parse(step.outputs).records) : [];
  store.close();
  return { status, records, error: step.error };
}

humanEval.test("dataset.load reads HumanEval (.jsonl.gz) with a limit", async () => {
  const path = humanEval.path;
  const { status, records } = await load(`{ path: "${path}", limit: 3 }`);
  assert.equal(status, "done");
  assert.deepEqual(records.map((r) => (r as { task_id: string }).task_id), [
    "HumanEval/0",
    "HumanEval/1",
    "HumanEval/2",
  ]);
});

math500.test("dataset.load shuffles reproducibly with a seed", async () => {
  const path = math500.path;
  const a = await load(`{ path: "${path}", limit: 5, shuffle: true, seed: 3 }`);
  const b = await load(`{ path: "${path}", limit: 5, shuffle: true, seed: 3 }`);
  const c = await load(`{ path: "${path}", limit: 5, shuffle: true, seed: 4 }`);
  assert.deepEqual(a.records, b.records);
  assert.notDeepEqual(a.records, c.records);
  assert.deepEqual(seededShuffle([1, 2, 3, 4, 5, 6, 7, 8], 1).sort(), [1, 2, 3, 4, 5, 6, 7, 8]);
});

Deno.test("dataset.load reports a malformed line with its file and line number", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/bad.jsonl`, '{"a": 1}\n{"a": 2}\n{"a": \n');
  const { status, error } = await load(`{ path: "${dir}/bad.jsonl" }`);
  assert.equal(status, "failed");
  assert.match(error!, new RegExp(`${dir}/bad.jsonl:3: malformed JSON`));
});

Deno.test("dataset.load names a missing file", async () => {
  const { status, error } = await load(`{ path: "/nonexistent/x.jsonl" }`);
  assert.equal(status, "failed");
  assert.match(error!, /\/nonexistent\/x\.jsonl: file not found/);
});
