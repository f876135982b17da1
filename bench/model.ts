/**
 * Training-step benchmark of the ONNX training graph: tokens per second of forward + backward (loss and all
 * parameter gradients) and peak resident memory, for a Llama config of about 10M parameters.
 *
 * Usage: deno run -A bench/model.ts [--batch 8] [--seq 128] [--steps 5] [--threads N] [--lora 8]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { LlamaConfig, parameterCount, parameterShapes } from "../src/model/config.ts";
import { loraShapes } from "../src/model/llama/decoder.ts";
import { TrainingSession } from "../src/model/llama/sessions.ts";
import { coreCount } from "../src/model/runtime.ts";

/** The ~10M-parameter config the benchmark (and its PyTorch counterpart) uses. */
export const BENCH_CONFIG = LlamaConfig.parse({
  model_type: "llama",
  vocab_size: 8192,
  hidden_size: 256,
  intermediate_size: 768,
  num_hidden_layers: 10,
  num_attention_heads: 8,
  num_key_value_heads: 4,
  rope_theta: 10000,
  tie_word_embeddings: true,
});

function randomParams(shapes: Map<string, number[]>, seed: number): Map<string, Float32Array> {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296 - 0.5;
  };
  const params = new Map<string, Float32Array>();
  for (const [name, shape] of shapes) {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const isNorm = name.endsWith("norm.weight");
    for (let i = 0; i < values.length; i++) values[i] = isNorm ? 1 : next() * 0.04;
    params.set(name, values);
  }
  return params;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      batch: { type: "string", default: "8" },
      seq: { type: "string", default: "128" },
      steps: { type: "string", default: "5" },
      threads: { type: "string", default: String(coreCount()) },
      lora: { type: "string" },
    },
  });
  const [batch, seq, steps, threads] = [values.batch, values.seq, values.steps, values.threads].map(Number);
  const lora = values.lora
    ? { rank: Number(values.lora), targets: ["q_proj" as const, "v_proj" as const] }
    : undefined;
  const shapes = new Map([...parameterShapes(BENCH_CONFIG), ...(lora ? loraShapes(BENCH_CONFIG, lora) : [])]);
  const params = randomParams(shapes, 1);
  const tokens = batch * seq;
  const ids = Array.from({ length: tokens }, (_, i) => (i * 7919) % BENCH_CONFIG.vocab_size);
  const trainingBatch = {
    batch,
    seq,
    inputIds: ids,
    attentionMask: new Array(tokens).fill(1),
    targets: ids.map((_, i) => ids[(i + 1) % tokens]),
    tokenWeights: new Float32Array(tokens).fill(1 / tokens),
    refLogprobs: new Float32Array(tokens).fill(-9),
    klWeights: new Float32Array(tokens).fill(0.01),
  };

  const buildStart = performance.now();
  const trainer = await TrainingSession.create(BENCH_CONFIG, { threads, lora });
  const buildMs = performance.now() - buildStart;
  let peakRss = Deno.memoryUsage().rss;
  await trainer.lossAndGrads(params, trainingBatch); // warm-up
  peakRss = Math.max(peakRss, Deno.memoryUsage().rss);
  const times: number[] = [];
  for (let s = 0; s < steps; s++) {
    const start = performance.now();
    await trainer.lossAndGrads(params, trainingBatch);
    times.push(performance.now() - start);
    peakRss = Math.max(peakRss, Deno.memoryUsage().rss);
  }
  await trainer.release();
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(`model bench: onnxruntime-node training step (forward + backward), CPU, ${threads} threads`);
  console.log(
    `  config: llama ${
      (parameterCount(BENCH_CONFIG) / 1e6).toFixed(2)
    }M params, batch ${batch} x seq ${seq}` +
      (lora ? `, LoRA rank ${lora.rank} on q_proj/v_proj` : ", full gradients"),
  );
  console.log(`  graph build + session load: ${buildMs.toFixed(0)} ms`);
  console.log(
    `  step time: median ${median.toFixed(1)} ms, min ${times[0].toFixed(1)} ms over ${steps} steps`,
  );
  console.log(`  training throughput: ${(tokens / (median / 1000)).toFixed(0)} tokens/s`);
  console.log(`  peak RSS: ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
}

if (import.meta.main) await main();
