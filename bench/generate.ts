/**
 * Generation benchmark: tokens per second and peak resident memory at batch sizes 1, 8 and 32 on a random
 * Llama of about 25M parameters, for this project's generator and for transformers.js `generate()` on the
 * same exported model folder, both on onnxruntime-node's CPU provider. Greedy decoding, EOS ignored, so both
 * produce exactly batch x max_new_tokens tokens. Each (engine, batch size) runs in its own subprocess so its
 * peak memory (VmHWM) is its own; each timed run follows a short warm-up run. The two engines alternate for
 * `--repeats` rounds and the table shows the median rate of each, so load from other work on the machine
 * falls on both alike.
 *
 * Usage: deno run -A bench/generate.ts [--batches 1,8,32] [--new-tokens 64] [--prompt-tokens 48] [--repeats 3]
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { LlamaConfig, parameterCount } from "../src/model/config.ts";
import { GenerationModel } from "../src/inference/model.ts";
import { writeRandomModel } from "../src/inference/testing.ts";
import { sharedData } from "../src/testing/shared_data.ts";

/** The ~25M-parameter benchmark config (grouped-query attention, a 2048-token BPE vocabulary). */
const BENCH_CONFIG = LlamaConfig.parse({
  model_type: "llama",
  vocab_size: 2048,
  hidden_size: 512,
  intermediate_size: 1536,
  num_hidden_layers: 7,
  num_attention_heads: 8,
  num_key_value_heads: 4,
  max_position_embeddings: 1024,
  tie_word_embeddings: false,
  eos_token_id: 2047,
  initializer_range: 0.05,
});
/**
 * The benchmark model's folder, named after the graph code that wrote it, so a change to the graph builder or
 * the decoder definition builds the model again instead of timing a stale graph.
 */
const MODEL_DIR = resolve(`.bench/generate-llama-25m-${graphCodeStamp()}`);

function graphCodeStamp(): string {
  const hash = createHash("sha256");
  for (
    const file of [
      "../src/model/onnx/graph.ts",
      "../src/model/llama/decoder.ts",
      "../src/model/llama/graphs.ts",
    ]
  ) {
    hash.update(Deno.readTextFileSync(new URL(file, import.meta.url)));
  }
  return hash.digest("hex").slice(0, 12);
}
const CORPUS = sharedData("math/train.jsonl").path;

/** The two workloads: pure decoding speed, and RL rollouts as SCoRe samples them. */
type Workload = "greedy" | "rollout";
/** Rollouts generate this many batches' worth of sequences (so freed rows can be refilled). */
const ROLLOUT_BATCHES = 2;
/** Rollouts sample this many completions per prompt. */
const ROLLOUT_SAMPLES = 4;
/** Rollouts end at any of these tokens (about 1 in 40 of the vocabulary), so lengths vary as real ones do. */
const ROLLOUT_EOS = Array.from({ length: 51 }, (_, i) => i * 40 + 7);

/** One measurement, as a worker prints it. */
interface Measurement {
  engine: string;
  batch: number;
  tokens: number;
  seconds: number;
  peakMiB: number;
  firstTokens: number[];
}

/** Math problems as prompt texts (the tokenizer corpus comes from the same file). */
function problems(count: number, offset = 0): string[] {
  return Deno.readTextFileSync(CORPUS).split("\n").slice(offset, offset + count).filter((l) => l.trim())
    .map((line) => JSON.parse(line).problem as string);
}

/** Writes the benchmark model once (the tokenizer's merges take a while to learn). */
async function ensureModel(): Promise<void> {
  try {
    if (Deno.statSync(join(MODEL_DIR, "onnx", "model.onnx")).isFile) return;
  } catch {
    // not built yet
  }
  console.error(`building the benchmark model in ${MODEL_DIR} (once) ...`);
  const corpus = Deno.readTextFileSync(CORPUS).split("\n").slice(0, 1500).filter((l) => l.trim())
    .map((line) => `${JSON.parse(line).problem}\n${JSON.parse(line).solution}`).join("\n");
  await writeRandomModel(MODEL_DIR, BENCH_CONFIG, { seed: 3, corpus });
  await Deno.writeTextFile(join(MODEL_DIR, "generation_config.json"), JSON.stringify({ eos_token_id: 2047 }));
}

/** Prompt texts cut to `tokens` tokens each (so both engines see the same lengths). */
function benchPrompts(model: GenerationModel, batch: number, tokens: number): string[] {
  return problems(batch, 2000).map((text) =>
    model.tokenizer.decode(model.tokenizer.encode(text).slice(0, tokens))
  );
}

/** Peak resident memory of this process so far, in MiB. */
function peakMiB(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** Samples per prompt: rollouts share each prompt among its samples. */
function samplesPerPrompt(workload: Workload, batch: number): number {
  return workload === "rollout" ? Math.min(batch, ROLLOUT_SAMPLES) : 1;
}

/** Prompts of a run: one batch for greedy; rollouts generate two batches' worth of sequences. */
function promptCount(workload: Workload, batch: number): number {
  return workload === "rollout" ? (ROLLOUT_BATCHES * batch) / samplesPerPrompt(workload, batch) : batch;
}

async function runOurs(workload: Workload, batch: number, newTokens: number, promptTokens: number) {
  const model = await GenerationModel.load(MODEL_DIR);
  const prompts = benchPrompts(model, promptCount(workload, batch), promptTokens);
  const requests = prompts.map((prompt, i) => ({ key: i, promptIds: model.tokenizer.encode(prompt) }));
  const rollout = workload === "rollout";
  const settings = {
    maxNewTokens: newTokens,
    temperature: rollout ? 1 : 0,
    topP: 1,
    topK: 0,
    n: samplesPerPrompt(workload, batch),
    seed: 0,
    stop: [],
    batchSize: batch,
    eosTokenIds: rollout ? ROLLOUT_EOS : [],
    memoryBudgetBytes: 8 * 2 ** 30,
  };
  await model.generator.generate(requests.slice(0, batch / settings.n), { ...settings, maxNewTokens: 4 });
  const started = performance.now();
  const out = await model.generator.generate(requests, settings);
  const seconds = (performance.now() - started) / 1000;
  const tokens = out.flat().reduce((sum, c) => sum + c.tokenIds.length, 0);
  return { engine: "ours", batch, tokens, seconds, peakMiB: peakMiB(), firstTokens: out[0][0].tokenIds };
}

/** Generated tokens of one output row: up to and including the first EOS (what a caller can use). */
function usefulTokens(row: number[], eos: readonly number[]): number {
  const end = row.findIndex((token) => eos.includes(token));
  return end < 0 ? row.length : end + 1;
}

async function runTransformersJs(workload: Workload, batch: number, newTokens: number, promptTokens: number) {
  const { AutoModelForCausalLM, AutoTokenizer, env } = await import("@huggingface/transformers");
  env.allowRemoteModels = false;
  env.localModelPath = resolve(MODEL_DIR, "..") + "/";
  const name = MODEL_DIR.split("/").pop()!;
  const tokenizer = await AutoTokenizer.from_pretrained(name);
  tokenizer.padding_side = "left";
  const model = await AutoModelForCausalLM.from_pretrained(name, { dtype: "fp32", device: "cpu" });
  const ours = await GenerationModel.load(MODEL_DIR);
  const prompts = benchPrompts(ours, promptCount(workload, batch), promptTokens);
  await ours.close();
  const rollout = workload === "rollout";
  const samples = samplesPerPrompt(workload, batch);
  const chunk = batch / samples;
  const run = async (texts: string[], maxNewTokens: number) => {
    const inputs = tokenizer(texts, { padding: true, add_special_tokens: false });
    const options = rollout
      ? {
        ...inputs,
        do_sample: true,
        temperature: 1,
        top_k: 0,
        num_return_sequences: samples,
        eos_token_id: ROLLOUT_EOS,
        max_new_tokens: maxNewTokens,
      }
      : { ...inputs, do_sample: false, max_new_tokens: maxNewTokens, min_new_tokens: maxNewTokens };
    const output = await model.generate(options) as { tolist(): bigint[][] };
    const promptWidth = inputs.input_ids.dims[1];
    return output.tolist().map((row) => row.slice(promptWidth).map(Number));
  };
  await run(prompts.slice(0, chunk), 4);
  const started = performance.now();
  const generated: number[][] = [];
  for (let i = 0; i < prompts.length; i += chunk) {
    generated.push(...await run(prompts.slice(i, i + chunk), newTokens));
  }
  const seconds = (performance.now() - started) / 1000;
  const tokens = generated.reduce(
    (sum, row) => sum + (rollout ? usefulTokens(row, ROLLOUT_EOS) : row.length),
    0,
  );
  const firstTokens = generated[0];
  return { engine: "transformers.js", batch, tokens, seconds, peakMiB: peakMiB(), firstTokens };
}

/** Runs one measurement in a fresh subprocess. */
async function measure(
  engine: string,
  workload: Workload,
  batch: number,
  newTokens: number,
  promptTokens: number,
): Promise<Measurement> {
  const args = ["run", "-A", import.meta.filename!, "--worker", engine, "--workload", workload];
  args.push("--batches", String(batch));
  args.push("--new-tokens", String(newTokens), "--prompt-tokens", String(promptTokens));
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), { args, stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(stdout).trim().split("\n").pop() ?? "";
  if (code !== 0) throw new Error(`${engine} at batch ${batch} failed: ${new TextDecoder().decode(stderr)}`);
  return JSON.parse(text);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      worker: { type: "string" },
      workload: { type: "string", default: "greedy,rollout" },
      batches: { type: "string", default: "1,8,32" },
      "new-tokens": { type: "string", default: "64" },
      "prompt-tokens": { type: "string", default: "48" },
      repeats: { type: "string", default: "3" },
    },
  });
  const batches = values.batches.split(",").map(Number);
  const newTokens = Number(values["new-tokens"]);
  const promptTokens = Number(values["prompt-tokens"]);
  const workloads = values.workload.split(",") as Workload[];
  const repeats = Number(values.repeats);
  if (!Number.isInteger(repeats) || repeats < 1) {
    throw new Error(`bench/generate.ts: --repeats must be an integer >= 1, got ${values.repeats}`);
  }
  if (values.worker) {
    const run = values.worker === "ours" ? runOurs : runTransformersJs;
    console.log(JSON.stringify(await run(workloads[0], batches[0], newTokens, promptTokens)));
    return;
  }
  await ensureModel();
  console.log(
    `generation: random llama, ${(parameterCount(BENCH_CONFIG) / 1e6).toFixed(1)}M parameters, ` +
      `${promptTokens} prompt + up to ${newTokens} new tokens per sequence, cpu provider, ` +
      `${navigator.hardwareConcurrency} cores (other work on this machine makes figures noisy)`,
  );
  console.log(
    "workload: greedy = fixed length, EOS ignored; rollout = temperature 1, " +
      `${ROLLOUT_SAMPLES} samples per prompt, ${ROLLOUT_BATCHES} batches' worth of sequences, ending at EOS ` +
      "(useful tokens counted; transformers.js runs them batch after batch)",
  );
  console.log(
    `workload | batch | ours tok/s | transformers.js tok/s | speed-up | ours peak MiB | t.js peak MiB ` +
      `(median of ${repeats} alternating rounds)`,
  );
  for (const workload of workloads) {
    for (const batch of batches) {
      const ours: Measurement[] = [];
      const theirs: Measurement[] = [];
      for (let round = 0; round < repeats; round++) {
        ours.push(await measure("ours", workload, batch, newTokens, promptTokens));
        theirs.push(await measure("transformers.js", workload, batch, newTokens, promptTokens));
      }
      const differs = workload === "greedy" && ours[0].firstTokens.join() !== theirs[0].firstTokens.join();
      const [ourRate, theirRate] = [medianRate(ours), medianRate(theirs)];
      console.log(
        `${workload.padEnd(8)} | ${String(batch).padStart(5)} | ${ourRate.toFixed(1).padStart(10)} | ` +
          `${theirRate.toFixed(1).padStart(21)} | ${(ourRate / theirRate).toFixed(2).padStart(7)}x | ` +
          `${peak(ours).toFixed(0).padStart(13)} | ${peak(theirs).toFixed(0).padStart(13)}` +
          (differs ? " (greedy outputs differ!)" : ""),
      );
    }
  }
}

/** The median tokens per second of repeated measurements. */
function medianRate(measurements: readonly Measurement[]): number {
  const rates = measurements.map((m) => m.tokens / m.seconds).sort((a, b) => a - b);
  const middle = rates.length >> 1;
  return rates.length % 2 === 1 ? rates[middle] : (rates[middle - 1] + rates[middle]) / 2;
}

/** The largest peak memory of repeated measurements, in MiB. */
function peak(measurements: readonly Measurement[]): number {
  return Math.max(...measurements.map((m) => m.peakMiB));
}

if (import.meta.main) await main();
