import assert from "node:assert/strict";
import { stepKinds } from "../steps/mod.ts";
import { planCommand, planWorkflow } from "./plan.ts";

const context = { stepKinds: () => Promise.resolve(stepKinds) };

Deno.test("plan: every model step of the toy workflow is estimated, its model traced through model.init", async () => {
  const steps = await planWorkflow("workflows/score.yaml", [], context, 128);
  const kinds = new Set(steps.map((s) => s.kind));
  for (const kind of ["sft", "score.stage1", "score.stage2", "eval.selfcorrect"]) {
    assert.ok(kinds.has(kind), kind);
  }
  assert.ok(
    steps.every((s) => s.estimate.peak > 0 && !s.lora),
    "a toy model trains every weight (lora auto)",
  );
  const stage1 = steps.find((s) => s.kind === "score.stage1")!;
  assert.ok(stage1.estimate.parts.some((p) => p.name.startsWith("generation batch")));
});

Deno.test("plan: a step over the budget is refused (exit 2) with the setting to change", async () => {
  const log: string[] = [];
  const original = console.log;
  console.log = (line: string) => log.push(line);
  const originalError = console.error;
  console.error = () => {};
  try {
    assert.equal(await planCommand(["workflows/score.yaml", "--memory-gb", "100"], context), 0);
    assert.equal(await planCommand(["workflows/score.yaml", "--memory-gb", "0.3"], context), 2);
  } finally {
    console.log = original;
    console.error = originalError;
  }
  assert.ok(log.some((line) => line.includes("DOES NOT FIT")));
  assert.ok(
    log.some((line) => /to fit: lower (microbatch_rows|batch_size|generation_batch_size)/.test(line)),
  );
});
