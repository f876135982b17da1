import assert from "node:assert/strict";
import { join } from "node:path";
import { writeRandomModel } from "../inference/testing.ts";
import type { ArtifactRef, ItemLoop, StepContext } from "../workflow/step.ts";
import { correct } from "./correct.ts";
import { generate } from "./generate.ts";

/** A minimal engine stand-in: runs forEachItem batches from `resumeAt` on and collects the JSON lines. */
function fakeContext<P>(params: P, resumeAt = 0): { ctx: StepContext<P>; lines: string[] } {
  const lines: string[] = [];
  const unused = () => Promise.reject(new Error("not used by this step"));
  const ctx: StepContext<P> = {
    runId: "test",
    stepId: "step",
    params,
    workDir: Deno.cwd(),
    signal: new AbortController().signal,
    log: () => {},
    progress: () => {},
    metric: () => {},
    records: unused,
    dir: unused,
    saveCheckpoint: unused,
    latestCheckpoint: () => Promise.resolve(undefined),
    async forEachItem<I, R>(loop: ItemLoop<I, R>) {
      const size = loop.batchSize ?? 16;
      for (let start = resumeAt * size; start < loop.items.length; start += size) {
        const results = await loop.process(loop.items.slice(start, start + size), start);
        lines.push(...results.map((r) => JSON.stringify(r)));
      }
    },
  };
  return { ctx, lines };
}

function recordsRef(path: string, count: number): ArtifactRef {
  return { artifact: true, step: "prompts", output: "records", path, kind: "records", sha256: "", count };
}

Deno.test("generate and correct steps: records keep provenance, and a resumed run is byte-identical", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "generate_step_test_" });
  const { dir: model } = await writeRandomModel(join(dir, "model"));
  const promptsPath = join(dir, "prompts.jsonl");
  const prompts = ["1+1=", "Name a color:", "Count: one two", "Hi", "The end"].map((prompt, i) => ({
    id: `q${i}`,
    prompt,
  }));
  await Deno.writeTextFile(promptsPath, prompts.map((p) => JSON.stringify(p)).join("\n") + "\n");
  const sampling = { temperature: 1, top_k: 30, n: 2, seed: 5, max_new_tokens: 6, batch_size: 4 };
  const params = generate.params.parse({
    ...sampling,
    model,
    prompts: recordsRef(promptsPath, 5),
    items_per_commit: 2,
  });
  try {
    const full = fakeContext(params);
    await generate.run(full.ctx);
    await t.step("each prompt gets n records with the model, sampling settings and seed", () => {
      assert.equal(full.lines.length, 10);
      const first = JSON.parse(full.lines[0]);
      assert.equal(first.id, "q0");
      assert.equal(first.seed, 5);
      assert.equal(first.seed_key, "q0");
      assert.equal(first.sampling.temperature, 1);
      assert.equal(first.model.path, model);
    });
    await t.step("resuming after the first committed batch reproduces the rest byte for byte", async () => {
      const resumed = fakeContext(params, 1);
      await generate.run(resumed.ctx);
      assert.deepEqual(resumed.lines, full.lines.slice(4));
    });
    await t.step(
      "correct builds [problem, attempt 1, feedback, instruction] and samples attempt 2",
      async () => {
        const attemptsPath = join(dir, "attempts.jsonl");
        const verified = full.lines.map((line) => ({ ...JSON.parse(line), feedback: "wrong answer" }));
        await Deno.writeTextFile(attemptsPath, verified.map((r) => JSON.stringify(r)).join("\n") + "\n");
        const correctParams = correct.params.parse({
          ...sampling,
          n: 1,
          model,
          attempts: recordsRef(attemptsPath, verified.length),
          feedback_field: "feedback",
          instruction: "Fix it.",
        });
        const second = fakeContext(correctParams);
        await correct.run(second.ctx);
        const records = second.lines.map((line) => JSON.parse(line));
        assert.equal(records.length, 10);
        assert.equal(records[1].attempt1.completion, verified[1].completion);
        assert.equal(records[1].attempt1.sample_index, 1);
        assert.equal(records[1].seed_key, "q0#1");
        assert.equal(records[1].prompt, prompts[0].prompt, "the problem's fields stay at the top level");
        assert.ok(records.every((r) => typeof r.completion === "string" && r.token_ids.length >= 1));
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
