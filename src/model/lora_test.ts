import assert from "node:assert/strict";
import { join } from "node:path";
import { LlamaConfig, parameterShapes } from "./config.ts";
import { initWeights } from "./checkpoint.ts";
import type { LoraOptions } from "./llama/decoder.ts";
import { ScoringSession, type TokenBatch, TrainingSession } from "./llama/sessions.ts";
import { initLoraAdapters, loadPeftAdapter, mergeLora, PEFT_FILES, savePeftAdapter } from "./lora.ts";
import { readSafetensorsHeader } from "./safetensors.ts";

// vocab x hidden = 1 MiB of float32 embeddings: big enough that frozen weights go to external data
const config = LlamaConfig.parse({
  model_type: "qwen2",
  vocab_size: 4096,
  hidden_size: 64,
  intermediate_size: 96,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  tie_word_embeddings: true,
  initializer_range: 0.2,
});
const lora: LoraOptions = { rank: 4, alpha: 8, targets: ["q_proj", "k_proj", "v_proj", "o_proj", "up_proj"] };

/** Adapters with B non-zero (a fresh adapter's B is zero, which would hide a wrong merge). */
function trainedAdapters(seed: number): Map<string, Float32Array> {
  const adapters = initLoraAdapters(config, lora, seed);
  let s = seed;
  for (const [name, data] of adapters) {
    if (!name.endsWith("lora_B.weight")) continue;
    for (let i = 0; i < data.length; i++) data[i] = Math.sin(++s * 12.9898) * 0.3;
  }
  return adapters;
}

const tokens: TokenBatch = {
  batch: 2,
  seq: 5,
  inputIds: [0, 3, 900, 17, 4000, 5, 6, 7, 8, 9],
  attentionMask: [0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
  targets: [3, 900, 17, 4000, 1, 6, 7, 8, 9, 10],
};

function assertClose(actual: Float32Array, expected: Float32Array, tolerance: number, what: string) {
  assert.equal(actual.length, expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  assert.ok(worst < tolerance, `${what}: max difference ${worst}`);
}

Deno.test("fresh adapters: A bounded by 1/sqrt(in), B zero, one pair per targeted projection", () => {
  const adapters = initLoraAdapters(config, lora, 1);
  assert.equal(adapters.size, 2 * lora.targets.length * config.num_hidden_layers);
  const a = adapters.get("model.layers.0.self_attn.q_proj.lora_A.weight")!;
  assert.equal(a.length, 4 * 64);
  assert.ok(a.every((v) => Math.abs(v) <= 1 / 8) && a.some((v) => v !== 0));
  assert.ok(adapters.get("model.layers.1.mlp.up_proj.lora_B.weight")!.every((v) => v === 0));
});

Deno.test("PEFT adapter files round-trip with PEFT's names and config fields", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const tensors = trainedAdapters(2);
    await savePeftAdapter(dir, config, { options: lora, dropout: 0.05, tensors }, "models/base");
    const peft = JSON.parse(await Deno.readTextFile(join(dir, PEFT_FILES.config)));
    assert.deepEqual(
      [peft.peft_type, peft.r, peft.lora_alpha, peft.lora_dropout, peft.target_modules, peft.task_type],
      ["LORA", 4, 8, 0.05, lora.targets, "CAUSAL_LM"],
    );
    const header = await readSafetensorsHeader(join(dir, PEFT_FILES.weights));
    assert.ok(header.has("base_model.model.model.layers.1.self_attn.o_proj.lora_B.weight"));
    const back = await loadPeftAdapter(dir, config);
    assert.deepEqual(back.options, lora);
    assert.equal(back.dropout, 0.05);
    for (const [name, data] of tensors) assert.deepEqual(back.tensors.get(name), data, name);
    await assert.rejects(
      () => loadPeftAdapter(dir, { ...config, hidden_size: 128, num_attention_heads: 4 }),
      /shape|expected/i,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a merged checkpoint scores as the adapter over frozen base weights does", async () => {
  const base = initWeights(config, 3);
  const adapters = trainedAdapters(4);
  const graphDir = await Deno.makeTempDir();
  const withAdapter = await ScoringSession.create(config, { threads: 1, lora, frozen: base, graphDir });
  const plain = await ScoringSession.create(config, { threads: 1 });
  try {
    assert.deepEqual(withAdapter.inputParameters, [...adapters.keys()], "only adapters are fed");
    assert.ok((await Deno.stat(join(graphDir, "model.onnx_data"))).size >= 1 << 20, "weights went external");
    const adapted = await withAdapter.score(adapters, tokens);
    const merged = await plain.score(mergeLora(base, { options: lora, tensors: adapters }), tokens);
    assertClose(adapted.logprobs, merged.logprobs, 1e-4, "log-probabilities");
    assertClose(adapted.entropy, merged.entropy, 1e-4, "entropies");
    const unadapted = await plain.score(base, tokens);
    const moved = adapted.logprobs.some((lp, i) => Math.abs(lp - unadapted.logprobs[i]) > 1e-3);
    assert.ok(moved, "the adapter changes the model (else the comparison proves nothing)");
    const fresh = await withAdapter.score(initLoraAdapters(config, lora, 9), tokens);
    assertClose(fresh.logprobs, unadapted.logprobs, 1e-5, "a fresh adapter leaves the model as is");
  } finally {
    await withAdapter.release();
    await plain.release();
    await Deno.remove(graphDir, { recursive: true });
  }
});

Deno.test("LoRA gradients over frozen base weights equal those with the base weights fed", async () => {
  const base = initWeights(config, 5);
  const adapters = trainedAdapters(6);
  const fed = await TrainingSession.create(config, { threads: 1, lora });
  const frozen = await TrainingSession.create(config, { threads: 1, lora, frozen: base });
  const dropped = await TrainingSession.create(config, {
    threads: 1,
    lora,
    frozen: base,
    loraDropout: { rate: 0.5, seed: 1 },
  });
  try {
    assert.deepEqual(frozen.inputParameters, [...adapters.keys()]);
    const batch = {
      ...tokens,
      tokenWeights: Float32Array.from(tokens.attentionMask, (m, i) => m * (i % 3 - 1)),
      refLogprobs: new Float32Array(10).fill(-8),
      klWeights: Float32Array.from(tokens.attentionMask, (m) => m * 0.1),
    };
    const a = await fed.lossAndGrads(new Map([...base, ...adapters]), batch);
    const b = await frozen.lossAndGrads(adapters, batch);
    assert.ok(Math.abs(a.loss - b.loss) < 1e-4, `${a.loss} vs ${b.loss}`);
    assert.deepEqual([...b.grads.keys()], [...adapters.keys()]);
    for (const [name, grad] of a.grads) assertClose(b.grads.get(name)!, grad, 1e-4, name);
    const withDropout = await dropped.lossAndGrads(adapters, batch);
    assert.ok(Math.abs(withDropout.loss - b.loss) > 1e-6, "dropout changes the loss of a trained adapter");
    assert.ok([...withDropout.grads.values()].every((g) => g.every(Number.isFinite)));
  } finally {
    await Promise.all([fed.release(), frozen.release(), dropped.release()]);
  }
});

Deno.test("merging needs the base weight of every adapted projection", () => {
  const base = initWeights(config, 7);
  base.delete("model.layers.0.self_attn.q_proj.weight");
  assert.throws(
    () => mergeLora(base, { options: lora, tensors: trainedAdapters(8) }),
    /q_proj" lacks its lora_B tensor or its base weight/,
  );
  assert.equal(parameterShapes(config).has("model.layers.0.self_attn.q_proj.weight"), true);
});

Deno.test("a training graph that scores its base reference itself equals one fed the reference's log-probs", async () => {
  const base = initWeights(config, 9);
  const adapters = trainedAdapters(10);
  const fed = await TrainingSession.create(config, { threads: 1, lora, frozen: base });
  const inGraph = await TrainingSession.create(config, {
    threads: 1,
    lora,
    frozen: base,
    baseReference: true,
  });
  const scorer = await ScoringSession.create(config, { threads: 1, frozen: base });
  try {
    assert.equal(fed.scoresReference, false);
    assert.equal(inGraph.scoresReference, true);
    const klWeights = Float32Array.from(tokens.attentionMask, (m, i) => (i % 4 === 0 ? 0 : m * 0.3));
    const tokenWeights = Float32Array.from(tokens.attentionMask, (m, i) => m * (i % 3 - 1));
    const reference = (await scorer.score(new Map(), tokens)).logprobs.map((lp, i) =>
      klWeights[i] === 0 ? -1e4 : lp
    );
    const batch = { ...tokens, tokenWeights, klWeights };
    const a = await fed.lossAndGrads(adapters, { ...batch, refLogprobs: reference });
    const b = await inGraph.lossAndGrads(adapters, { ...batch, refLogprobs: new Float32Array(10) });
    assert.ok(Math.abs(a.loss - b.loss) < 1e-4, `${a.loss} vs ${b.loss}`);
    for (const [name, grad] of a.grads) assertClose(b.grads.get(name)!, grad, 1e-4, name);
    klWeights.forEach((w, i) =>
      w !== 0 && assert.ok(Math.abs(b.refLogprobs![i] - reference[i]) < 1e-4, `ref ${i}`)
    );
  } finally {
    await Promise.all([fed.release(), inGraph.release(), scorer.release()]);
  }
});
