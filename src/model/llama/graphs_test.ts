import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { LlamaConfig, type ModelDims, modelDims, parameterShapes } from "../config.ts";
import { seededValues } from "../onnx/grad_check.ts";
import { saveModel } from "../onnx/save.ts";
import { createSession } from "../runtime.ts";
import { loraShapes } from "./decoder.ts";
import { buildInferenceModel, buildScoringModel, buildTrainingModel } from "./graphs.ts";
import { ScoringSession, TrainingSession } from "./sessions.ts";

const tinyQwen = LlamaConfig.parse({
  model_type: "qwen2",
  vocab_size: 13,
  hidden_size: 16,
  intermediate_size: 12,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  rope_theta: 500,
  tie_word_embeddings: false,
});
const tinyLlamaTied = LlamaConfig.parse({
  ...tinyQwen,
  model_type: "llama",
  num_key_value_heads: 4,
  tie_word_embeddings: true,
});

/** Inference feeds for the whole test batch with an empty KV cache (a prefill). */
function prefillFeeds(d: ModelDims): Record<string, ort.Tensor> {
  const dims = [batch.rows, batch.seq];
  const feeds: Record<string, ort.Tensor> = {
    input_ids: int64(batch.ids, dims),
    attention_mask: int64(batch.mask, dims),
    position_ids: int64(positions(batch.mask, batch.seq), dims),
  };
  for (let i = 0; i < d.layers; i++) {
    for (const kind of ["key", "value"]) {
      feeds[`past_key_values.${i}.${kind}`] = new ort.Tensor("float32", new Float32Array(0), [
        batch.rows,
        d.kvHeads,
        0,
        d.headDim,
      ]);
    }
  }
  return feeds;
}

function randomWeights(shapes: Map<string, number[]>, seed: number, scale = 0.5): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  let s = seed;
  for (const [name, shape] of shapes) {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = seededValues(size, s++, -scale, scale);
    if (name.endsWith("layernorm.weight") || name.endsWith("norm.weight")) {
      values.forEach((v, i) => values[i] = 1 + v);
    }
    out.set(name, values);
  }
  return out;
}

const toFloat32 = (m: Map<string, Float64Array>) =>
  new Map([...m].map(([k, v]) => [k, Float32Array.from(v)]));

/** Row 0 is left-padded by 2; row 1 is full. */
const batch = {
  ids: [0, 0, 5, 7, 1, 12, 3, 4, 9, 2, 11, 6],
  mask: [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
  rows: 2,
  seq: 6,
};
const positions = (mask: number[], seq: number) =>
  mask.map((_, i) => {
    const row = Math.floor(i / seq);
    let count = 0;
    for (let j = row * seq; j <= i; j++) count += mask[j];
    return mask[i] ? count - 1 : 1;
  });

const int64 = (values: number[], dims: number[]) =>
  new ort.Tensor("int64", BigInt64Array.from(values, BigInt), dims);
const pick = (values: number[], seq: number, from: number, to: number) =>
  values.filter((_, i) => i % seq >= from && i % seq < to);

Deno.test("inference logits with and without the KV cache agree within 1e-5 (left padding, GQA, qkv bias)", async () => {
  const d = modelDims(tinyQwen);
  const weights = toFloat32(randomWeights(parameterShapes(tinyQwen), 1));
  const session = await createSession(buildInferenceModel(tinyQwen, weights).onnx, { threads: 1 });
  const pos = positions(batch.mask, batch.seq);
  const emptyPast = () =>
    new ort.Tensor("float32", new Float32Array(0), [batch.rows, d.kvHeads, 0, d.headDim]);
  const run = (from: number, to: number, past: Record<string, ort.Tensor>) => {
    const feeds: Record<string, ort.Tensor> = {
      input_ids: int64(pick(batch.ids, batch.seq, from, to), [batch.rows, to - from]),
      attention_mask: int64(pick(batch.mask, batch.seq, 0, to), [batch.rows, to]),
      position_ids: int64(pick(pos, batch.seq, from, to), [batch.rows, to - from]),
    };
    for (let i = 0; i < d.layers; i++) {
      for (const kind of ["key", "value"]) {
        feeds[`past_key_values.${i}.${kind}`] = past[`present.${i}.${kind}`] ?? emptyPast();
      }
    }
    return session.run(feeds);
  };
  const full = (await run(0, batch.seq, {})).logits.data as Float32Array;
  let past: Record<string, ort.Tensor> = {};
  const steps = [[0, 3], [3, 4], [4, 5], [5, 6]];
  let maxDiff = 0;
  for (const [from, to] of steps) {
    const out = await run(from, to, past);
    past = out;
    const logits = out.logits.data as Float32Array;
    for (let r = 0; r < batch.rows; r++) {
      for (let t = from; t < to; t++) {
        if (!batch.mask[r * batch.seq + t]) continue;
        for (let v = 0; v < d.vocab; v++) {
          const cached = logits[(r * (to - from) + t - from) * d.vocab + v];
          maxDiff = Math.max(maxDiff, Math.abs(cached - full[(r * batch.seq + t) * d.vocab + v]));
        }
      }
    }
  }
  assert.ok(maxDiff < 1e-5, `max |logits difference| ${maxDiff}`);
  assert.deepEqual(past["present.0.key"].dims, [batch.rows, d.kvHeads, batch.seq, d.headDim]);
});

Deno.test("scoring log-probs and entropy match the log-softmax of the inference logits", async () => {
  for (const config of [tinyQwen, tinyLlamaTied]) {
    const d = modelDims(config);
    const weights = toFloat32(randomWeights(parameterShapes(config), 7));
    const inference = await createSession(buildInferenceModel(config, weights).onnx, { threads: 1 });
    const scoring = await createSession(buildScoringModel(config).onnx, { threads: 1 });
    const feeds = prefillFeeds(d);
    const logits = (await inference.run(feeds)).logits.data as Float32Array;
    const targets = batch.ids.map((_, i) => batch.ids[(i + 1) % batch.ids.length]);
    const scoreFeeds: Record<string, ort.Tensor> = {
      input_ids: feeds.input_ids,
      attention_mask: feeds.attention_mask,
      targets: int64(targets, [batch.rows, batch.seq]),
      positions: int64(batch.ids.map((_, i) => i), [12]),
    };
    for (const [name, shape] of parameterShapes(config)) {
      scoreFeeds[name] = new ort.Tensor("float32", weights.get(name)!, shape);
    }
    const scored = await scoring.run(scoreFeeds);
    const logprobs = scored.logprobs.data as Float32Array;
    const entropy = scored.entropy.data as Float32Array;
    for (let i = 0; i < targets.length; i++) {
      if (!batch.mask[i]) continue;
      const row = Array.from(logits.subarray(i * d.vocab, (i + 1) * d.vocab));
      const max = Math.max(...row);
      const logZ = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
      const expectedEntropy = -row.reduce((s, x) => s + Math.exp(x - logZ) * (x - logZ), 0);
      assert.ok(Math.abs(logprobs[i] - (row[targets[i]] - logZ)) < 1e-5, `logprob at ${i}`);
      assert.ok(Math.abs(entropy[i] - expectedEntropy) < 1e-5, `entropy at ${i}`);
    }
  }
});

/** Finite-difference check of the training graph in float64 on a sample of every trainable tensor. */
async function checkTrainingGradients(
  config: LlamaConfig,
  lora?: { rank: number; alpha: number; targets: ("q_proj" | "v_proj" | "down_proj")[] },
  options: { frozen?: boolean } = {},
) {
  const allShapes = new Map([...parameterShapes(config), ...(lora ? loraShapes(config, lora) : [])]);
  const params = randomWeights(allShapes, 3);
  // frozen base weights are float32 initializers, widened to float64 in the graph: feed nothing but adapters
  const frozen = options.frozen
    ? new Map([...parameterShapes(config).keys()].map((name) => [name, Float32Array.from(params.get(name)!)]))
    : undefined;
  const model = buildTrainingModel(config, { dtype: "float64", lora, frozen });
  const session = await createSession(model.onnx, { threads: 1 });
  const shapes = new Map([...allShapes].filter(([name]) => !frozen?.has(name)));
  const dims = [batch.rows, batch.seq];
  // Padding positions get zero weight: their fully masked attention rows add -1e9 to the scores, which
  // quantizes finite differences (not the analytic gradient) at that magnitude.
  const weightsOf = (seed: number, lo: number, hi: number) =>
    new ort.Tensor("float64", seededValues(12, seed, lo, hi).map((v, i) => v * batch.mask[i]), dims);
  const fixed: Record<string, ort.Tensor> = {
    input_ids: int64(batch.ids, dims),
    attention_mask: int64(batch.mask, dims),
    targets: int64(batch.ids.map((_, i) => batch.ids[(i + 1) % 12]), dims),
    // logits at the real (unpadded) positions only, the rows the gather's adjoint must route back
    positions: int64(batch.mask.flatMap((m, i) => (m ? [i] : [])), [10]),
    token_weights: new ort.Tensor("float64", Float64Array.from(batch.mask, (m, i) => m * (i % 3 - 1)), dims),
    ref_logprobs: weightsOf(40, -3, -1),
    kl_weights: weightsOf(41, 0, 0.5),
  };
  const feeds = () => {
    const f = { ...fixed };
    for (const [name, shape] of shapes) f[name] = new ort.Tensor("float64", params.get(name)!, shape);
    return f;
  };
  const analytic = await session.run(feeds());
  const lossAt = async () => Number((await session.run(feeds(), ["loss"])).loss.data[0]);
  const eps = 1e-6;
  let maxError = 0;
  let worst = "";
  for (const name of model.trainableParameters) {
    const values = params.get(name)!;
    const grad = analytic[`grad.${name}`].data as Float64Array;
    assert.equal(grad.length, values.length, `gradient size of ${name}`);
    const stride = Math.max(1, Math.floor(values.length / 5));
    for (let i = 0; i < values.length; i += stride) {
      const x0 = values[i];
      values[i] = x0 + eps;
      const up = await lossAt();
      values[i] = x0 - eps;
      const down = await lossAt();
      values[i] = x0;
      const numeric = (up - down) / (2 * eps);
      const error = Math.abs(numeric - grad[i]) / Math.max(1, Math.abs(numeric));
      if (error > maxError) {
        [maxError, worst] = [error, `${name}[${i}] autodiff ${grad[i]} numeric ${numeric}`];
      }
    }
  }
  assert.ok(maxError < 1e-6, `max relative error ${maxError} at ${worst}`);
}

Deno.test("whole-model gradients match finite differences (qwen2, GQA, untied)", () =>
  checkTrainingGradients(tinyQwen));
Deno.test("whole-model gradients match finite differences (llama, tied embeddings)", () =>
  checkTrainingGradients(tinyLlamaTied));
Deno.test("LoRA adapter gradients match finite differences", () =>
  checkTrainingGradients(tinyQwen, { rank: 2, alpha: 4, targets: ["q_proj", "v_proj", "down_proj"] }));
Deno.test("LoRA adapter gradients over frozen (baked-in) base weights match finite differences", () =>
  checkTrainingGradients(tinyLlamaTied, { rank: 2, alpha: 4, targets: ["q_proj", "v_proj", "down_proj"] }, {
    frozen: true,
  }));

Deno.test("TrainingSession loss equals the documented formula on its own log-probs", async () => {
  const trainer = await TrainingSession.create(tinyQwen, { threads: 1 });
  const params = toFloat32(randomWeights(parameterShapes(tinyQwen), 5));
  const tokenWeights = Float32Array.from(batch.mask, (m, i) => m * (i % 2 ? 1 : -0.5));
  const refLogprobs = Float32Array.from(seededValues(12, 8, -4, -1));
  const klWeights = Float32Array.from(batch.mask, (m) => m * 0.1);
  const targets = batch.ids.map((_, i) => batch.ids[(i + 1) % 12]);
  const result = await trainer.lossAndGrads(params, {
    batch: 2,
    seq: 6,
    inputIds: batch.ids,
    attentionMask: batch.mask,
    targets,
    tokenWeights,
    refLogprobs,
    klWeights,
  });
  let expected = 0;
  result.logprobs.forEach((lp, i) => {
    const d = refLogprobs[i] - lp;
    expected += -tokenWeights[i] * lp + klWeights[i] * (Math.exp(d) - d - 1);
  });
  assert.ok(
    Math.abs(result.loss - expected) < 1e-4 * Math.max(1, Math.abs(expected)),
    `${result.loss} vs ${expected}`,
  );
  assert.equal(result.grads.size, parameterShapes(tinyQwen).size);
  assert.ok([...result.grads.values()].every((g) => g.every(Number.isFinite)));
  await trainer.release();
});

Deno.test("inference model with weights in external data gives the same logits as the in-memory one", async () => {
  const d = modelDims(tinyQwen);
  const weights = toFloat32(randomWeights(parameterShapes(tinyQwen), 11));
  const dir = await Deno.makeTempDir();
  try {
    const external = buildInferenceModel(tinyQwen, weights, { externalThresholdBytes: 0 });
    assert.ok(external.externalData, "weights went to external data");
    const [modelPath] = await saveModel(`${dir}/onnx/model.onnx`, external);
    const feeds = prefillFeeds(d);
    const fromFile = await createSession(modelPath, { threads: 1 });
    const inMemory = await createSession(buildInferenceModel(tinyQwen, weights).onnx, { threads: 1 });
    const a = (await fromFile.run(feeds)).logits.data as Float32Array;
    const b = (await inMemory.run(feeds)).logits.data as Float32Array;
    assert.deepEqual(Array.from(a), Array.from(b));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ScoringSession returns the training graph's log-probs for the same batch", async () => {
  const params = toFloat32(randomWeights(parameterShapes(tinyQwen), 21));
  const targets = batch.ids.map((_, i) => batch.ids[(i + 1) % 12]);
  const positions = batch.ids.map((_, i) => i);
  const tokens = { batch: 2, seq: 6, inputIds: batch.ids, attentionMask: batch.mask, targets, positions };
  const scorer = await ScoringSession.create(tinyQwen, { threads: 1 });
  const trainer = await TrainingSession.create(tinyQwen, { threads: 1 });
  const zeros = new Float32Array(12);
  const scored = await scorer.score(params, tokens);
  const trained = await trainer.lossAndGrads(params, {
    ...tokens,
    tokenWeights: zeros,
    refLogprobs: zeros,
    klWeights: zeros,
  });
  scored.logprobs.forEach((lp, i) => assert.ok(Math.abs(lp - trained.logprobs[i]) < 1e-5, `position ${i}`));
  assert.ok(scored.entropy.every((h) => h >= 0 && h <= Math.log(tinyQwen.vocab_size) + 1e-5));
  await Promise.all([scorer.release(), trainer.release()]);
});

Deno.test("logits at chosen positions: the same log-probs there, 0 elsewhere, a gradient of weighted rows only", async () => {
  const params = toFloat32(randomWeights(parameterShapes(tinyQwen), 23));
  const targets = batch.ids.map((_, i) => batch.ids[(i + 1) % 12]);
  const tokens = { batch: 2, seq: 6, inputIds: batch.ids, attentionMask: batch.mask, targets };
  const scorer = await ScoringSession.create(tinyQwen, { threads: 1 });
  const trainer = await TrainingSession.create(tinyQwen, { threads: 1 });
  try {
    const all = await scorer.score(params, { ...tokens, positions: positions12 });
    const some = await scorer.score(params, { ...tokens, positions: [3, 4, 10] });
    some.logprobs.forEach((lp, i) =>
      assert.ok([3, 4, 10].includes(i) ? Math.abs(lp - all.logprobs[i]) < 1e-6 : lp === 0, `position ${i}`)
    );
    // weights on positions 3, 4 and 10 only: the training graph picks exactly those rows
    const tokenWeights = new Float32Array(12);
    tokenWeights[3] = 1;
    tokenWeights[10] = -0.5;
    const klWeights = new Float32Array(12);
    klWeights[4] = 0.2;
    const refLogprobs = new Float32Array(12).fill(-2);
    const weighted = { ...tokens, tokenWeights, klWeights, refLogprobs };
    const auto = await trainer.lossAndGrads(params, weighted);
    const full = await trainer.lossAndGrads(params, { ...weighted, positions: positions12 });
    assert.ok(Math.abs(auto.loss - full.loss) < 1e-5, `${auto.loss} vs ${full.loss}`);
    for (const [name, grad] of full.grads) {
      const other = auto.grads.get(name)!;
      grad.forEach((v, i) => assert.ok(Math.abs(v - other[i]) < 1e-5, `${name}[${i}]`));
    }
  } finally {
    await Promise.all([scorer.release(), trainer.release()]);
  }
});
const positions12 = batch.ids.map((_, i) => i);
