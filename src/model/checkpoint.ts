/**
 * Hugging Face checkpoint folders for Llama-family models: `config.json`, `model.safetensors` (or shards),
 * `tokenizer.json`, `tokenizer_config.json` and `generation_config.json`; plus seeded random weights.
 *
 * Weights live in memory as `Map<Hugging Face tensor name, Float32Array>`, with shapes given by
 * {@linkcode parameterShapes}. Every load error is one line naming the file and the field or tensor.
 *
 * @module
 */
import { join } from "node:path";
import { LlamaConfig, modelDims, parameterShapes } from "./config.ts";
import { createRng } from "./random.ts";
import {
  type FloatDtype,
  readSafetensorsCheckpoint,
  type TensorToWrite,
  writeSafetensors,
} from "./safetensors.ts";

/** A JSON object read from or written to a checkpoint file. */
export type JsonObject = Record<string, unknown>;

/** A model checkpoint in memory. Optional files are absent when the folder lacks them. */
export interface Checkpoint {
  config: LlamaConfig;
  weights: Map<string, Float32Array>;
  /** The parsed `tokenizer.json`. */
  tokenizer?: JsonObject;
  /** The parsed `tokenizer_config.json` (special tokens, chat template). */
  tokenizerConfig?: JsonObject;
  /** The parsed `generation_config.json`. */
  generationConfig?: JsonObject;
}

/** Options for {@linkcode saveCheckpoint}. */
export interface SaveOptions {
  /** On-disk precision of the weights (default F32); they always load back as fp32. */
  dtype?: FloatDtype;
}

const FILES = {
  config: "config.json",
  weights: "model.safetensors",
  tokenizer: "tokenizer.json",
  tokenizerConfig: "tokenizer_config.json",
  generationConfig: "generation_config.json",
} as const;

const ARCHITECTURES: Record<LlamaConfig["model_type"], string> = {
  llama: "LlamaForCausalLM",
  qwen2: "Qwen2ForCausalLM",
  mistral: "MistralForCausalLM",
};

const TORCH_DTYPE: Record<FloatDtype, string> = { F32: "float32", F16: "float16", BF16: "bfloat16" };

/** Validates a parsed `config.json`; `source` names the file in errors. */
export function parseModelConfig(json: unknown, source: string): LlamaConfig {
  const parsed = LlamaConfig.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.length > 0 ? `field "${issue.path.join(".")}"` : "config";
    throw new Error(`${source}: ${field}: ${issue.message}`);
  }
  try {
    modelDims(parsed.data);
  } catch (error) {
    throw new Error(`${source}: ${(error as Error).message.replace(/^config: /, "")}`);
  }
  return parsed.data;
}

/** Reads and validates a `config.json` file. */
export async function readModelConfig(path: string): Promise<LlamaConfig> {
  return parseModelConfig(await readJson(path), path);
}

/** Loads the weights a config needs from a checkpoint folder, checking every name and shape. */
export async function loadWeights(dir: string, config: LlamaConfig): Promise<Map<string, Float32Array>> {
  const shapes = parameterShapes(config);
  const { tensors } = await readSafetensorsCheckpoint(dir, { names: shapes.keys(), shapes });
  const weights = new Map<string, Float32Array>();
  for (const [name, tensor] of tensors) {
    if (!(tensor.data instanceof Float32Array)) {
      throw new Error(`${dir}: tensor "${name}" holds integers; model weights must be F32, F16 or BF16`);
    }
    weights.set(name, tensor.data);
  }
  return weights;
}

/** Loads a whole checkpoint folder. */
export async function loadCheckpoint(dir: string): Promise<Checkpoint> {
  const config = await readModelConfig(join(dir, FILES.config));
  const checkpoint: Checkpoint = { config, weights: await loadWeights(dir, config) };
  const tokenizer = await readOptionalJson(join(dir, FILES.tokenizer));
  const tokenizerConfig = await readOptionalJson(join(dir, FILES.tokenizerConfig));
  const generationConfig = await readOptionalJson(join(dir, FILES.generationConfig));
  if (tokenizer) checkpoint.tokenizer = tokenizer;
  if (tokenizerConfig) checkpoint.tokenizerConfig = tokenizerConfig;
  if (generationConfig) checkpoint.generationConfig = generationConfig;
  return checkpoint;
}

/** Writes a checkpoint folder in the Hugging Face layout (creating the folder). */
export async function saveCheckpoint(
  dir: string,
  checkpoint: Checkpoint,
  options: SaveOptions = {},
): Promise<void> {
  const dtype = options.dtype ?? "F32";
  await Deno.mkdir(dir, { recursive: true });
  const config = {
    architectures: [ARCHITECTURES[checkpoint.config.model_type]],
    ...checkpoint.config,
    torch_dtype: TORCH_DTYPE[dtype],
  };
  await writeJson(join(dir, FILES.config), config);
  await saveWeights(join(dir, FILES.weights), checkpoint.weights, checkpoint.config, dtype);
  if (checkpoint.tokenizer) await writeJson(join(dir, FILES.tokenizer), checkpoint.tokenizer);
  if (checkpoint.tokenizerConfig) {
    await writeJson(join(dir, FILES.tokenizerConfig), checkpoint.tokenizerConfig);
  }
  if (checkpoint.generationConfig) {
    await writeJson(join(dir, FILES.generationConfig), checkpoint.generationConfig);
  }
}

/** Writes the parameters of a config, in {@linkcode parameterShapes} order, as one safetensors file. */
export async function saveWeights(
  path: string,
  weights: Map<string, Float32Array>,
  config: LlamaConfig,
  dtype: FloatDtype = "F32",
): Promise<void> {
  const tensors = new Map<string, TensorToWrite>();
  for (const [name, shape] of parameterShapes(config)) {
    const data = weights.get(name);
    if (!data) throw new Error(`${path}: cannot save, the weights lack tensor "${name}"`);
    tensors.set(name, { shape, data, dtype });
  }
  await writeSafetensors(path, tensors, { format: "pt" });
}

/**
 * Random initial weights, as Hugging Face initializes Llama models: matrices and embeddings from a normal
 * distribution with std `initializer_range` (default 0.02), RMSNorm weights at 1, biases at 0.
 */
export function initWeights(config: LlamaConfig, seed: number): Map<string, Float32Array> {
  const std = typeof config.initializer_range === "number" ? config.initializer_range : 0.02;
  const rng = createRng(seed);
  const weights = new Map<string, Float32Array>();
  for (const [name, shape] of parameterShapes(config)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (name.endsWith("norm.weight")) data.fill(1);
    else if (!name.endsWith(".bias")) { for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std; }
    weights.set(name, data);
  }
  return weights;
}

/** Reads a JSON object file with a one-line error naming the file. */
export async function readJson(path: string): Promise<JsonObject> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new Error(`${path}: file not found`);
    throw new Error(`${path}: cannot read (${(error as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: not valid JSON (${(error as Error).message})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new Error(`${path}: expected a JSON object`);
  }
  return json as JsonObject;
}

async function readOptionalJson(path: string): Promise<JsonObject | undefined> {
  try {
    await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  return await readJson(path);
}

async function writeJson(path: string, json: unknown): Promise<void> {
  await Deno.writeTextFile(path, JSON.stringify(json, null, 2) + "\n");
}
