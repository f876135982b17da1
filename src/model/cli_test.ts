import assert from "node:assert/strict";
import { join } from "node:path";
import { loadCheckpoint } from "./checkpoint.ts";
import { main, parseSequences } from "./cli.ts";
import { initLoraAdapters, savePeftAdapter } from "./lora.ts";
import { readSafetensors } from "./safetensors.ts";
import { createSession, float32Tensor, int64Tensor } from "./runtime.ts";
import { TextTokenizer } from "./tokenizer.ts";
import { assertThrowsWith } from "./testing.ts";

const CONFIG = {
  model_type: "llama",
  vocab_size: 270,
  hidden_size: 16,
  intermediate_size: 32,
  num_hidden_layers: 1,
  num_attention_heads: 2,
};

async function initModel(dir: string, extra: string[] = []): Promise<string> {
  const configPath = join(dir, "config_in.json");
  await Deno.writeTextFile(configPath, JSON.stringify(CONFIG));
  const out = join(dir, "model");
  assert.equal(await main(["init", "--config", configPath, "--out", out, "--seed", "5", ...extra]), 0);
  return out;
}

Deno.test("model init: writes a loadable checkpoint whose tokenizer ids match config.json", async () => {
  const dir = await Deno.makeTempDir();
  const out = await initModel(dir);
  const checkpoint = await loadCheckpoint(out);
  const tokenizer = await TextTokenizer.load(out);
  assert.equal(checkpoint.config.eos_token_id, tokenizer.eosId);
  assert.equal(checkpoint.config.pad_token_id, tokenizer.padId);
  assert.ok(tokenizer.vocabSize <= checkpoint.config.vocab_size);
  assert.deepEqual(checkpoint.generationConfig?.eos_token_id, [tokenizer.eosId, tokenizer.padId]);
});

Deno.test("model init: --corpus learns merges up to vocab_size", async () => {
  const dir = await Deno.makeTempDir();
  const corpus = join(dir, "corpus.txt");
  await Deno.writeTextFile(corpus, "one plus one is two. two plus two is four. ".repeat(30));
  const tokenizer = await TextTokenizer.load(await initModel(dir, ["--corpus", corpus]));
  assert.equal(tokenizer.vocabSize, CONFIG.vocab_size);
});

Deno.test("model score: writes one logprob per token (null first) and gradients for every parameter", async () => {
  const dir = await Deno.makeTempDir();
  const model = await initModel(dir);
  const input = join(dir, "in.jsonl");
  await Deno.writeTextFile(
    input,
    '{"input_ids":[1,2,3],"loss_mask":[0,1,1]}\n{"input_ids":[7],"loss_mask":[1]}\n',
  );
  const [out, grads] = [join(dir, "out.jsonl"), join(dir, "grads.safetensors")];
  assert.equal(await main(["score", "--model", model, "--in", input, "--out", out, "--grads", grads]), 0);
  const lines = (await Deno.readTextFile(out)).trim().split("\n").map((l) => JSON.parse(l).logprobs);
  assert.equal(lines.length, 2);
  assert.equal(lines[0].length, 3);
  assert.equal(lines[0][0], null);
  assert.ok(lines[0].slice(1).every((lp: number) => lp < 0 && lp > -20));
  assert.deepEqual(lines[1], [null]);
  const gradients = (await readSafetensors(grads)).tensors;
  assert.equal(gradients.size, (await loadCheckpoint(model)).weights.size);
  assert.deepEqual(gradients.get("model.embed_tokens.weight")?.shape, [270, 16]);

  const plain = join(dir, "plain.jsonl");
  assert.equal(await main(["score", "--model", model, "--in", input, "--out", plain]), 0);
  const plainLines = (await Deno.readTextFile(plain)).trim().split("\n").map((l) => JSON.parse(l).logprobs);
  plainLines[0].slice(1).forEach((lp: number, i: number) => assert.ok(Math.abs(lp - lines[0][i + 1]) < 1e-5));
});

Deno.test("model: bad input exits 2, unknown commands too", async () => {
  const dir = await Deno.makeTempDir();
  assert.equal(await main(["init", "--out", dir]), 2);
  assert.equal(await main(["export-onnx", join(dir, "missing")]), 2);
  assert.equal(await main(["score", "--model", dir, "--in", "x", "--out", "y"]), 2);
  assert.equal(await main(["frobnicate"]), 2);
  const badConfig = join(dir, "config.json");
  await Deno.writeTextFile(badConfig, JSON.stringify({ ...CONFIG, vocab_size: 10 }));
  assert.equal(await main(["init", "--config", badConfig, "--out", join(dir, "m")]), 2);
});

Deno.test("model score: input lines are checked and errors name file and line", () => {
  const cases: [string, string][] = [
    ['{"input_ids":[1,2],"loss_mask":[1]}', 'in.jsonl:1: "loss_mask" must be an array of 2 numbers'],
    ['{"input_ids":[],"loss_mask":[]}', 'in.jsonl:1: "input_ids" must be a non-empty array'],
    ['{"input_ids":[1,999],"loss_mask":[1,1]}', "in.jsonl:1: token id 999 is >= vocab_size 270"],
    ["\n{oops", "in.jsonl:2: malformed JSON"],
    ["", "in.jsonl: no sequences to score"],
  ];
  for (const [text, message] of cases) assertThrowsWith(() => parseSequences(text, "in.jsonl", 270), message);
});

Deno.test("model export-onnx: the inference model's logits agree with model score's logprobs", async () => {
  const dir = await Deno.makeTempDir();
  const model = await initModel(dir);
  assert.equal(await main(["export-onnx", model]), 0);
  const ids = [3, 40, 41, 200, 9];
  const input = join(dir, "in.jsonl");
  await Deno.writeTextFile(input, JSON.stringify({ input_ids: ids, loss_mask: ids.map(() => 1) }));
  assert.equal(await main(["score", "--model", model, "--in", input, "--out", join(dir, "out.jsonl")]), 0);
  const scored = JSON.parse(await Deno.readTextFile(join(dir, "out.jsonl"))).logprobs as (number | null)[];

  const session = await createSession(join(model, "onnx", "model.onnx"));
  const empty = float32Tensor(new Float32Array(0), [1, 2, 0, 8]);
  const logits = (await session.run({
    input_ids: int64Tensor(ids, [1, ids.length]),
    attention_mask: int64Tensor(ids.map(() => 1), [1, ids.length]),
    position_ids: int64Tensor(ids.map((_, i) => i), [1, ids.length]),
    "past_key_values.0.key": empty,
    "past_key_values.0.value": empty,
  })).logits.data as Float32Array;
  const vocab = CONFIG.vocab_size;
  for (let t = 0; t + 1 < ids.length; t++) {
    const row = logits.subarray(t * vocab, (t + 1) * vocab);
    const max = Math.max(...row);
    const logSumExp = max + Math.log(row.reduce((sum, v) => sum + Math.exp(v - max), 0));
    assert.ok(Math.abs(row[ids[t + 1]] - logSumExp - scored[t + 1]!) < 1e-4, `position ${t}`);
  }
  await session.release();
});

Deno.test("model merge-lora: base + PEFT adapter -> a checkpoint with W + (alpha/r) B A", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const base = await initModel(dir);
    const checkpoint = await loadCheckpoint(base);
    const lora = { rank: 2, alpha: 6, targets: ["v_proj" as const] };
    const tensors = initLoraAdapters(checkpoint.config, lora, 1);
    const b = tensors.get("model.layers.0.self_attn.v_proj.lora_B.weight")!;
    b.fill(0.5);
    await savePeftAdapter(join(dir, "adapter"), checkpoint.config, { options: lora, dropout: 0, tensors });
    const out = join(dir, "merged");
    assert.equal(
      await main(["merge-lora", "--base", base, "--adapter", join(dir, "adapter"), "--out", out]),
      0,
    );
    const merged = await loadCheckpoint(out);
    const a = tensors.get("model.layers.0.self_attn.v_proj.lora_A.weight")!;
    const name = "model.layers.0.self_attn.v_proj.weight";
    const w0 = checkpoint.weights.get(name)!;
    const w1 = merged.weights.get(name)!;
    const inputs = 16;
    // row 0, column 3: w + 3 * (0.5 * a[0][3] + 0.5 * a[1][3])
    const expected = w0[3] + 3 * 0.5 * (a[3] + a[inputs + 3]);
    assert.ok(Math.abs(w1[3] - expected) < 1e-6, `${w1[3]} vs ${expected}`);
    const q = "model.layers.0.self_attn.q_proj.weight";
    assert.deepEqual(merged.weights.get(q), checkpoint.weights.get(q));
    await Deno.stat(join(out, "onnx", "model.onnx"));
    assert.equal(await main(["merge-lora", "--base", base, "--adapter", join(dir, "none"), "--out", out]), 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
