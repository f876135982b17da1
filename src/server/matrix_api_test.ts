import assert from "node:assert/strict";
import { testStepKinds } from "../steps/testing.ts";
import { executeRun } from "../workflow/engine.ts";
import { parseWorkflow } from "../workflow/spec.ts";
import { createTestRun } from "../workflow/testing.ts";
import { createApp } from "./app.ts";

const SOURCE = `name: seeds
params: { seeds: { type: integer, default: 2 } }
matrix: { seed: { from: 0, count: "\${{ params.seeds }}" } }
steps:
  - { id: data, uses: test.work, with: { items: 2 } }
  - id: train
    uses: test.work
    matrix: [seed]
    needs: [data]
    with: { items: 3, seed: "\${{ matrix.seed }}", input: "\${{ steps.data.outputs.results }}" }
  - id: summary
    uses: test.work
    needs: [train]
    with: { items: 1, inputs: ["\${{ steps.train.outputs.results }}"] }
`;

Deno.test("the status API lists matrix instances as steps, with their needs, and serves each one", async () => {
  const runsDir = await Deno.makeTempDir({ prefix: "server_matrix_" });
  const workflow = parseWorkflow(SOURCE, "seeds.yaml", testStepKinds);
  const options = await createTestRun(runsDir, workflow);
  assert.equal(await executeRun(options), "done");
  options.store.close();
  const { app, reader } = createApp({ runsDir, token: "t", tokenForReads: false });
  try {
    const detail = await (await app.request("/api/runs/r")).json();
    const needs = Object.fromEntries(
      detail.stepList.map((s: { id: string; needs: string[] }) => [s.id, s.needs]),
    );
    assert.deepEqual(needs, {
      "data": [],
      "train[seed=0]": ["data"],
      "train[seed=1]": ["data"],
      "summary": ["train[seed=0]", "train[seed=1]"],
    });
    const id = encodeURIComponent("train[seed=1]");
    const step = await app.request(`/api/runs/r/steps/${id}`);
    assert.equal(step.status, 200);
    assert.equal((await step.json()).id, "train[seed=1]");
    const records = await (await app.request(`/api/runs/r/steps/${id}/records?limit=5`)).json();
    assert.equal(records.total, 3);
    const bad = await app.request(`/api/runs/r/steps/${encodeURIComponent("train[seed=../x]")}`);
    assert.equal(bad.status, 400);
  } finally {
    reader.close();
    await Deno.remove(runsDir, { recursive: true });
  }
});
