import assert from "node:assert/strict";
import { join } from "node:path";
import { tinyConfig, writeRandomModel } from "../inference/testing.ts";
import { loadCheckpoint } from "../model/checkpoint.ts";
import { ScoringSession } from "../model/llama/sessions.ts";
import { loadPeftAdapter, PEFT_FILES } from "../model/lora.ts";
import type { StepCheckpoint, StepContext } from "../workflow/step.ts";
import { sft } from "./sft.ts";
import { scoreStage1 } from "./score_stage1.ts";
import { memoryContext, recordsArtifact } from "./testing.ts";

/** A step context on a temporary directory: outputs, records and checkpoints are real files. */
function fileContext<P>(params: P, root: string, resumeFrom?: StepCheckpoint<unknown>) {
  const checkpoints: StepCheckpoint<unknown>[] = [];
  const base = memoryContext(params, []);
  const ctx: StepContext<P> = {
    ...base,
    workDir: join(root, "work"),
    dir: async (output) => {
      const dir = join(root, "out", output);
      await Deno.mkdir(dir, { recursive: true });
      return dir;
    },
    records: async (output) => {
      await Deno.mkdir(join(root, "out"), { recursive: true });
      const path = join(root, "out", `${output}.jsonl`);
      const write = (record: unknown) =>
        Deno.writeTextFile(path, JSON.stringify(record) + "\n", { append: true });
      return {
        write,
        writeAll: async (records) => {
          for (const record of records) await write(record);
        },
      };
    },
    saveCheckpoint: async (index, meta, write) => {
      const dir = join(root, "checkpoints", String(index));
      await Deno.mkdir(dir, { recursive: true });
      await write(dir);
      checkpoints.push({ index, dir, meta });
    },
    // deno-lint-ignore require-await
    latestCheckpoint: async <M>() => resumeFrom as StepCheckpoint<M> | undefined,
  };
  return { ctx, checkpoints };
}

const EXAMPLES = [
  { id: "a", kind: "solution", problem: "Compute 1+2.", completion: "3" },
  { id: "b", kind: "solution", problem: "Compute 2+2.", completion: "4" },
  { id: "c", kind: "trace", problem: "Compute 5-1.", attempt1: "5", completion: "4" },
];
const PROMPTS = { template: "{problem}\n", style: "plain", instruction: "Fix it." };

Deno.test("sft with lora: merged checkpoint plus PEFT adapter, scoring alike; resumed runs agree", async () => {
  const root = await Deno.makeTempDir({ prefix: "lora_sft_" });
  try {
    const base = await writeRandomModel(join(root, "base"), tinyConfig({ initializer_range: 0.2 }));
    const data = [await recordsArtifact(EXAMPLES)];
    const params = sft.params.parse({
      model: base.dir,
      data,
      prompts: PROMPTS,
      steps: 4,
      batch_size: 2,
      learning_rate: 0.05,
      checkpoint_every: 2,
      lora: { enabled: true, rank: 2, alpha: 4, targets: ["q_proj", "v_proj", "down_proj"] },
    });
    const straight = fileContext(params, join(root, "a"));
    await sft.run(straight.ctx);
    const out = join(root, "a", "out", "model");
    const merged = await loadCheckpoint(out);
    const adapter = await loadPeftAdapter(join(out, "adapter"), base.config);
    const changed = [...merged.weights].filter(([name, w]) =>
      w.some((v, i) => v !== base.weights.get(name)![i])
    );
    assert.ok(
      changed.length > 0 && changed.every(([name]) => /(q_proj|v_proj|down_proj)\.weight$/.test(name)),
    );
    // the merged checkpoint's scoring equals the adapter over the frozen base (the step's own graphs)
    const tokens = { batch: 1, seq: 6, inputIds: [1, 70, 80, 90, 100, 2], attentionMask: [1, 1, 1, 1, 1, 1] };
    const batch = { ...tokens, targets: [70, 80, 90, 100, 2, 3] };
    const plain = await ScoringSession.create(base.config, { threads: 1 });
    const adapted = await ScoringSession.create(base.config, {
      threads: 1,
      lora: adapter.options,
      frozen: base.weights,
    });
    const a = (await plain.score(merged.weights, batch)).logprobs;
    const b = (await adapted.score(adapter.tensors, batch)).logprobs;
    a.forEach((lp, i) => assert.ok(Math.abs(lp - b[i]) < 1e-4, `position ${i}: ${lp} vs ${b[i]}`));
    await Promise.all([plain.release(), adapted.release()]);
    // resumed from the checkpoint after update 2, the run ends with the same adapter
    const resumed = fileContext(params, join(root, "b"), straight.checkpoints[0]);
    await sft.run(resumed.ctx);
    const again = await loadPeftAdapter(join(root, "b", "out", "model", "adapter"), base.config);
    for (const [name, data] of adapter.tensors) assert.deepEqual(again.tensors.get(name), data, name);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("lora enabled: auto keeps full training on a toy model (no adapter in the output)", async () => {
  const root = await Deno.makeTempDir({ prefix: "lora_auto_" });
  try {
    const base = await writeRandomModel(join(root, "base"));
    const params = sft.params.parse({
      model: base.dir,
      data: [await recordsArtifact(EXAMPLES)],
      prompts: PROMPTS,
      steps: 1,
      batch_size: 2,
    });
    assert.equal(params.lora.enabled, "auto");
    await sft.run(fileContext(params, root).ctx);
    await assert.rejects(() => Deno.stat(join(root, "out", "model", "adapter")), Deno.errors.NotFound);
    const trained = await loadCheckpoint(join(root, "out", "model"));
    const embed = "model.embed_tokens.weight";
    assert.ok(trained.weights.get(embed)!.some((v, i) => v !== base.weights.get(embed)![i]));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("score.stage1 with lora and merge: false writes the PEFT adapter as its model output", async () => {
  const root = await Deno.makeTempDir({ prefix: "lora_score_" });
  try {
    const base = await writeRandomModel(join(root, "base"), tinyConfig({ initializer_range: 0.2 }));
    const problems = await recordsArtifact([
      { id: "p1", problem: "Compute 1+2.", answer: "3" },
      { id: "p2", problem: "Compute 2+5.", answer: "7" },
    ]);
    const params = scoreStage1.params.parse({
      model: base.dir,
      reference: base.dir,
      problems,
      prompts: PROMPTS,
      updates: 2,
      batch_size: 2,
      max_new_tokens: 4,
      checkpoint_every: 1,
      lora: { enabled: true, rank: 2, merge: false },
    });
    const run = fileContext(params, root);
    await scoreStage1.run(run.ctx);
    assert.equal(run.checkpoints.length, 1);
    const out = join(root, "out", "model");
    const adapter = await loadPeftAdapter(out, base.config);
    assert.equal(adapter.options.rank, 2);
    await Deno.stat(join(out, PEFT_FILES.weights));
    await assert.rejects(() => Deno.stat(join(out, "model.safetensors")), Deno.errors.NotFound);
    const metrics = await Deno.readTextFile(join(root, "out", "metrics.jsonl"));
    assert.ok(metrics.includes('"step":1'));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
