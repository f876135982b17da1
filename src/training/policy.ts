/**
 * A policy held in memory (a {@link Checkpoint}: config, weights, tokenizer files) and the two ways the
 * training steps hand it to other code: a Hugging Face model directory (the `dir` output of a training step,
 * with `onnx/model.onnx` beside `model.safetensors` so generation steps can load it), and a generation model
 * built from the current weights.
 *
 * How generation sees new weights: the inference graph carries its weights as initializers (the optimum
 * contract the generator loads), so after every update {@link openGenerationModel} rebuilds the graph from the
 * weights and opens a fresh session. For the toy models this costs a few tens of milliseconds against seconds
 * of sampling (bench/score.ts prints both); for a billion-parameter model it means serialising and loading
 * gigabytes per update, and an inference graph that takes the parameters as inputs (as the scoring and
 * training graphs do) would be the better trade.
 *
 * @module
 */
import { join } from "node:path";
import { type Checkpoint, loadCheckpoint, saveCheckpoint } from "../model/checkpoint.ts";
import { OrtTensor } from "../model/runtime.ts";
import { type LogitPositions, type LoraOptions, loraShapes } from "../model/llama/decoder.ts";
import { buildInferenceModel } from "../model/llama/graphs.ts";
import { GenerationModel } from "../inference/model.ts";
import type { Provider } from "../model/runtime.ts";

/** Where and how a generation model runs. */
export interface GenerationTarget {
  /** Execution provider (default cpu). */
  provider?: Provider;
  /** Receives provider notices. */
  log?: (message: string) => void;
}

/** Loads a policy from a Hugging Face checkpoint directory. */
export function loadPolicy(dir: string): Promise<Checkpoint> {
  return loadCheckpoint(dir);
}

/** Copies a checkpoint's weights so that training one copy leaves the other (for example the reference) as is. */
export function clonePolicy(policy: Checkpoint): Checkpoint {
  const weights = new Map([...policy.weights].map(([name, data]) => [name, data.slice()]));
  return { ...policy, weights };
}

/**
 * Writes the inference graph of the current weights as `onnx/model.onnx` (plus external data) under `dir`:
 * with logits of every position (the optimum contract, default) or of the last position only (generation).
 */
export async function writeInferenceGraph(
  dir: string,
  policy: Checkpoint,
  logits: LogitPositions = "all",
  lora?: LoraOptions,
): Promise<void> {
  const model = buildInferenceModel(policy.config, policy.weights, { logits, lora });
  const onnxDir = join(dir, "onnx");
  await Deno.mkdir(onnxDir, { recursive: true });
  await Deno.writeFile(join(onnxDir, "model.onnx"), model.onnx);
  if (model.externalData) {
    await Deno.writeFile(join(onnxDir, model.externalData.file), model.externalData.bytes);
  }
}

/** Saves a policy as a model directory: the Hugging Face files plus the inference graph for generation. */
export async function saveModelDir(dir: string, policy: Checkpoint): Promise<void> {
  await saveCheckpoint(dir, policy);
  await writeInferenceGraph(dir, policy);
}

/**
 * Writes the files generation reads (config, tokenizer, generation config, a graph with last-position logits)
 * without the safetensors.
 */
async function writeGenerationFiles(dir: string, policy: Checkpoint, lora?: LoraOptions): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const json = (name: string, value: unknown) =>
    Deno.writeTextFile(join(dir, name), JSON.stringify(value, null, 2) + "\n");
  await json("config.json", policy.config);
  if (policy.tokenizer) await json("tokenizer.json", policy.tokenizer);
  if (policy.tokenizerConfig) await json("tokenizer_config.json", policy.tokenizerConfig);
  if (policy.generationConfig) await json("generation_config.json", policy.generationConfig);
  await writeInferenceGraph(dir, policy, "last", lora);
}

/**
 * A generation model for the policy's current weights: the graph is rebuilt into `scratchDir` (overwritten on
 * every call) and loaded. Close it before the next call.
 */
export function openGenerationModel(
  policy: Checkpoint,
  scratchDir: string,
  target: GenerationTarget = {},
): Promise<GenerationModel> {
  return writeAndOpen("openGenerationModel", policy, scratchDir, target);
}

/** Writes the generation files of `policy` (with adapter inputs under `lora`) and opens them. */
async function writeAndOpen(
  caller: string,
  policy: Checkpoint,
  scratchDir: string,
  target: GenerationTarget,
  lora?: LoraOptions,
): Promise<GenerationModel> {
  if (!policy.tokenizer) {
    throw new Error(
      `${caller}: the checkpoint has no tokenizer.json; give the model directory its tokenizer`,
    );
  }
  await writeGenerationFiles(scratchDir, policy, lora);
  return await GenerationModel.load(scratchDir, { provider: target.provider ?? "cpu", log: target.log });
}

/**
 * A generation model over frozen base weights with LoRA adapters as graph inputs, built once: the adapters'
 * arrays are fed on every run, so updating them in place (Adam) changes what it generates without a rebuild.
 *
 * @example
 * ```ts ignore
 * const model = await openLoraGenerationModel(base, lora, adapters, "work/policy-graph");
 * adam.update(adapters, grads); // the next generation uses the new adapters
 * ```
 */
export async function openLoraGenerationModel(
  base: Checkpoint,
  lora: LoraOptions,
  adapters: ReadonlyMap<string, Float32Array>,
  scratchDir: string,
  target: GenerationTarget = {},
): Promise<GenerationModel> {
  const model = await writeAndOpen("openLoraGenerationModel", base, scratchDir, target, lora);
  const shapes = loraShapes(base.config, lora);
  const feeds: Record<string, OrtTensor> = {};
  for (const [name, shape] of shapes) {
    const data = adapters.get(name);
    if (!data) throw new Error(`openLoraGenerationModel: adapter "${name}" is missing`);
    feeds[name] = new OrtTensor("float32", data, shape);
  }
  model.generator.session.setConstantFeeds(feeds);
  return model;
}
