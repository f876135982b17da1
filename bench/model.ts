/**
 * Training-step benchmark of the ONNX training graph: tokens per second of forward + backward (loss and all
 * parameter gradients), CPU seconds per step and peak resident memory, for a Llama config of about 10M
 * parameters; before it, the same step in PyTorch (bench/model_torch.py, same config, batch and threads) when
 * /usr/bin/python3 can import torch. The load average is printed before each, since the machine is shared.
 * PyTorch's speed depends on the BLAS Debian's libblas.so.3 points to (the reference BLAS unless OpenBLAS is
 * installed); LD_LIBRARY_PATH passes through to it.
 *
 * Usage: deno run -A bench/model.ts [--batch 8] [--seq 128] [--steps 5] [--threads N] [--lora 8] [--no-spin]
 *   [--no-torch]
 *
 * @module
 */
import { loadavg } from "node:os";
import process from "node:process";
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

/** Figures of one measured run. */
interface StepFigures {
  medianMs: number;
  minMs: number;
  cpuSecondsPerStep: number;
  peakRssBytes: number;
}

/** The process's peak resident set (Linux VmHWM, the figure ru_maxrss gives PyTorch), else the current RSS. */
function peakRss(): number {
  try {
    const match = Deno.readTextFileSync("/proc/self/status").match(/^VmHWM:\s+(\d+) kB/m);
    if (match) return Number(match[1]) * 1024;
  } catch {
    // Not Linux: fall back to sampling.
  }
  return Deno.memoryUsage().rss;
}

/** Runs a warm-up step, then `steps` timed steps, tracking wall time, process CPU time and peak RSS. */
async function measureSteps(steps: number, step: () => Promise<unknown>): Promise<StepFigures> {
  let peakRssBytes = peakRss();
  await step();
  peakRssBytes = Math.max(peakRssBytes, peakRss());
  const times: number[] = [];
  const cpuStart = process.cpuUsage();
  for (let s = 0; s < steps; s++) {
    const start = performance.now();
    await step();
    times.push(performance.now() - start);
    peakRssBytes = Math.max(peakRssBytes, peakRss());
  }
  const cpu = process.cpuUsage(cpuStart);
  times.sort((a, b) => a - b);
  return {
    medianMs: times[Math.floor(times.length / 2)],
    minMs: times[0],
    cpuSecondsPerStep: (cpu.user + cpu.system) / 1e6 / steps,
    peakRssBytes,
  };
}

function loadLine(): string {
  return `load average ${loadavg().map((l) => l.toFixed(2)).join(", ")} on ${coreCount()} cores`;
}

const PYTHON = "/usr/bin/python3";

/** Runs bench/model_torch.py with the same shape and threads, printing its figures (or why it cannot). */
async function runTorch(args: { batch: number; seq: number; steps: number; threads: number }): Promise<void> {
  const probe = await new Deno.Command(PYTHON, {
    args: ["-c", "import torch"],
    stdout: "null",
    stderr: "null",
  })
    .output().catch(() => null);
  if (!probe?.success) {
    console.log(`PyTorch: skipped, ${PYTHON} cannot import torch (apt-get install -y python3-torch)`);
    return;
  }
  console.log(`(${loadLine()})`);
  const script = new URL("./model_torch.py", import.meta.url).pathname;
  const flags = Object.entries(args).flatMap(([name, value]) => [`--${name}`, String(value)]);
  const { code } = await new Deno.Command(PYTHON, {
    args: [script, ...flags],
    stdout: "inherit",
    stderr: "inherit",
  })
    .output();
  if (code !== 0) console.log(`PyTorch: bench/model_torch.py exited with code ${code}`);
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
      "no-spin": { type: "boolean", default: false },
      "no-torch": { type: "boolean", default: false },
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

  // PyTorch runs first: a child forked from this process once it holds the model would inherit its peak RSS
  // (Linux keeps ru_maxrss across exec), inflating PyTorch's memory figure.
  if (!values["no-torch"] && !lora) await runTorch({ batch, seq, steps, threads });
  console.log(`(${loadLine()})`);
  const buildStart = performance.now();
  const trainer = await TrainingSession.create(BENCH_CONFIG, { threads, lora, spinning: !values["no-spin"] });
  const buildMs = performance.now() - buildStart;
  const figures = await measureSteps(steps, () => trainer.lossAndGrads(params, trainingBatch));
  await trainer.release();
  console.log(`model bench: onnxruntime-node training step (forward + backward), CPU, ${threads} threads`);
  console.log(
    `  config: llama ${
      (parameterCount(BENCH_CONFIG) / 1e6).toFixed(2)
    }M params, batch ${batch} x seq ${seq}` +
      (lora ? `, LoRA rank ${lora.rank} on q_proj/v_proj` : ", full gradients"),
  );
  console.log(`  graph build + session load: ${buildMs.toFixed(0)} ms`);
  console.log(
    `  step time: median ${figures.medianMs.toFixed(1)} ms, min ${
      figures.minMs.toFixed(1)
    } ms over ${steps} ` +
      `steps; ${figures.cpuSecondsPerStep.toFixed(2)} CPU s per step`,
  );
  console.log(`  training throughput: ${(tokens / (figures.medianMs / 1000)).toFixed(0)} tokens/s`);
  console.log(`  peak RSS: ${(figures.peakRssBytes / 2 ** 20).toFixed(0)} MiB`);
}

if (import.meta.main) await main();
