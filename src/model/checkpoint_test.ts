import assert from "node:assert/strict";
import { join } from "node:path";
import { type LlamaConfig, parameterCount, parameterShapes } from "./config.ts";
import { initWeights, loadCheckpoint, parseModelConfig, saveCheckpoint, saveWeights } from "./checkpoint.ts";
import { readSafetensorsHeader, type TensorToWrite, writeSafetensors } from "./safetensors.ts";
import { assertRejectsWith, assertThrowsWith } from "./testing.ts";
import { createToyTokenizer } from "./toy_tokenizer.ts";

const TINY = {
  model_type: "qwen2",
  vocab_size: 300,
  hidden_size: 16,
  intermediate_size: 24,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  tie_word_embeddings: true,
};

function tinyConfig(overrides: Record<string, unknown> = {}): LlamaConfig {
  return parseModelConfig({ ...TINY, ...overrides }, "test config");
}

Deno.test("checkpoint: init gives normal(0, 0.02) matrices, unit norms and zero biases, same per seed", () => {
  const config = tinyConfig();
  const weights = initWeights(config, 7);
  assert.deepEqual([...weights.keys()], [...parameterShapes(config).keys()]);
  const total = [...weights.values()].reduce((sum, w) => sum + w.length, 0);
  assert.equal(total, parameterCount(config));
  const embed = weights.get("model.embed_tokens.weight")!;
  const mean = embed.reduce((a, b) => a + b, 0) / embed.length;
  const std = Math.sqrt(embed.reduce((a, b) => a + (b - mean) ** 2, 0) / embed.length);
  assert.ok(Math.abs(mean) < 0.002 && Math.abs(std - 0.02) < 0.002, `mean ${mean} std ${std}`);
  assert.ok(weights.get("model.norm.weight")!.every((v) => v === 1));
  assert.ok(weights.get("model.layers.0.self_attn.q_proj.bias")!.every((v) => v === 0));
  assert.deepEqual(initWeights(config, 7), weights);
  assert.notDeepEqual(initWeights(config, 8).get("model.embed_tokens.weight"), embed);
});

Deno.test("checkpoint: initializer_range sets the init std", () => {
  const weights = initWeights(tinyConfig({ initializer_range: 0.5 }), 1).get("model.embed_tokens.weight")!;
  const std = Math.sqrt(weights.reduce((a, b) => a + b * b, 0) / weights.length);
  assert.ok(Math.abs(std - 0.5) < 0.05, `std ${std}`);
});

Deno.test("checkpoint: save and load round-trip config, weights and tokenizer files", async () => {
  const dir = await Deno.makeTempDir();
  const config = tinyConfig({ tie_word_embeddings: false });
  const files = createToyTokenizer();
  const checkpoint = {
    config,
    weights: initWeights(config, 1),
    tokenizer: files.tokenizer,
    tokenizerConfig: files.tokenizerConfig,
    generationConfig: { eos_token_id: 258 },
  };
  await saveCheckpoint(dir, checkpoint);
  const loaded = await loadCheckpoint(dir);
  assert.deepEqual(loaded.weights, checkpoint.weights);
  assert.deepEqual(loaded.config, { ...config, architectures: ["Qwen2ForCausalLM"], torch_dtype: "float32" });
  assert.deepEqual(loaded.tokenizer, files.tokenizer);
  assert.deepEqual(loaded.tokenizerConfig, files.tokenizerConfig);
  assert.deepEqual(loaded.generationConfig, { eos_token_id: 258 });
});

Deno.test("checkpoint: bf16 checkpoints save at half size and load as close fp32", async () => {
  const dir = await Deno.makeTempDir();
  const config = tinyConfig();
  const weights = initWeights(config, 3);
  await saveCheckpoint(dir, { config, weights }, { dtype: "BF16" });
  const header = await readSafetensorsHeader(join(dir, "model.safetensors"));
  assert.ok([...header.values()].every((t) => t.dtype === "BF16"));
  const loaded = await loadCheckpoint(dir);
  assert.equal(loaded.config.torch_dtype, "bfloat16");
  for (const [name, original] of weights) {
    const back = loaded.weights.get(name)!;
    for (let i = 0; i < original.length; i++) {
      assert.ok(Math.abs(back[i] - original[i]) <= Math.abs(original[i]) * 2 ** -8, `${name}[${i}]`);
    }
  }
});

Deno.test("checkpoint: tied models ignore a stored lm_head; untied ones require it", async () => {
  const dir = await Deno.makeTempDir();
  const untied = tinyConfig({ tie_word_embeddings: false });
  await saveCheckpoint(dir, { config: untied, weights: initWeights(untied, 1) });
  await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify(TINY));
  const loaded = await loadCheckpoint(dir);
  assert.ok(!loaded.weights.has("lm_head.weight"));

  await saveWeights(join(dir, "model.safetensors"), initWeights(tinyConfig(), 1), tinyConfig());
  await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify({ ...TINY, tie_word_embeddings: false }));
  await assertRejectsWith(
    () => loadCheckpoint(dir),
    `${join(dir, "model.safetensors")}: tensor "lm_head.weight" is missing from the file`,
  );
});

Deno.test("checkpoint: a wrong shape names the file, tensor and both shapes", async () => {
  const dir = await Deno.makeTempDir();
  const config = tinyConfig();
  await saveCheckpoint(dir, { config, weights: initWeights(config, 1) });
  await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify({ ...TINY, vocab_size: 301 }));
  await assertRejectsWith(
    () => loadCheckpoint(dir),
    `${
      join(dir, "model.safetensors")
    }: tensor "model.embed_tokens.weight" has shape [300,16] but [301,16] is expected`,
  );
});

Deno.test("checkpoint: integer weights are refused with the tensor's name", async () => {
  const dir = await Deno.makeTempDir();
  const config = tinyConfig();
  const tensors = new Map<string, TensorToWrite>();
  for (const [name, shape] of parameterShapes(config)) {
    const count = shape.reduce((a, b) => a * b, 1);
    tensors.set(name, {
      shape,
      data: name === "model.norm.weight" ? new Int32Array(count) : new Float32Array(count),
    });
  }
  await writeSafetensors(join(dir, "model.safetensors"), tensors);
  await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify(TINY));
  await assertRejectsWith(() => loadCheckpoint(dir), `tensor "model.norm.weight" holds integers`);
});

Deno.test("checkpoint: bad configs give one-line errors naming the file and field", async () => {
  assertThrowsWith(
    () => parseModelConfig({ ...TINY, hidden_size: "16" }, "m/config.json"),
    `m/config.json: field "hidden_size"`,
  );
  assertThrowsWith(
    () => parseModelConfig({ ...TINY, model_type: "gpt2" }, "m/config.json"),
    `field "model_type"`,
  );
  assertThrowsWith(
    () => parseModelConfig({ ...TINY, num_key_value_heads: 3 }, "m/config.json"),
    "m/config.json: num_attention_heads 4 must be a multiple of num_key_value_heads 3",
  );
  const dir = await Deno.makeTempDir();
  await assertRejectsWith(() => loadCheckpoint(dir), `${join(dir, "config.json")}: file not found`);
  await Deno.writeTextFile(join(dir, "config.json"), "{ not json");
  await assertRejectsWith(() => loadCheckpoint(dir), `${join(dir, "config.json")}: not valid JSON`);
});
