/**
 * The `pipeline model` subcommands:
 *
 *   model init --config FILE --out DIR [--seed N] [--corpus FILE] [--dtype F32|F16|BF16]
 *   model export-onnx DIR
 *   model score --model DIR --in FILE --out FILE [--grads FILE] [--batch N]
 *   model merge-lora --base DIR --adapter DIR --out DIR
 *
 * Exit codes: 0 ok, 1 failure, 2 bad input (arguments, config, checkpoint or input file).
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parseJsonlLines } from "../data/jsonl.ts";
import { parameterShapes } from "./config.ts";
import { type Checkpoint, loadCheckpoint, readModelConfig, saveCheckpoint } from "./checkpoint.ts";
import { loadPeftAdapter, mergeLora } from "./lora.ts";
import { initCheckpoint } from "./init.ts";
import { buildInferenceModel } from "./llama/graphs.ts";
import { type FloatDtype, type TensorToWrite, writeSafetensors } from "./safetensors.ts";
import { type ScoredSequence, scoreSequences } from "./score.ts";

const USAGE = `usage:
  pipeline model init --config FILE --out DIR [--seed N] [--corpus FILE] [--dtype F32|F16|BF16]
  pipeline model export-onnx DIR
  pipeline model score --model DIR --in FILE --out FILE [--grads FILE] [--batch N]
  pipeline model merge-lora --base DIR --adapter DIR --out DIR`;

/** Bad arguments or input files: reported with exit code 2. */
class InputError extends Error {}

/** Runs a `model` subcommand and returns its exit code. */
export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  const commands: Record<string, (args: string[]) => Promise<void>> = {
    init: initCommand,
    "export-onnx": exportCommand,
    score: scoreCommand,
    "merge-lora": mergeLoraCommand,
  };
  const run = commands[command ?? ""];
  if (!run) {
    console.error(command && command !== "--help" ? `model: unknown command "${command}"\n${USAGE}` : USAGE);
    return command === "--help" ? 0 : 2;
  }
  try {
    await run(rest);
    return 0;
  } catch (error) {
    console.error(`model ${command}: ${(error as Error).message}`);
    return error instanceof InputError ? 2 : 1;
  }
}

async function initCommand(args: string[]): Promise<void> {
  const flags = parseFlags(args, {
    config: { type: "string" },
    out: { type: "string" },
    seed: { type: "string", default: "0" },
    corpus: { type: "string" },
    dtype: { type: "string", default: "F32" },
  });
  const configPath = required(flags.config, "--config FILE");
  const out = required(flags.out, "--out DIR");
  const seed = integerFlag(flags.seed, "--seed", 0);
  const dtype = dtypeFlag(flags.dtype);
  const config = await asInputError(() => readModelConfig(configPath));
  const corpus = flags.corpus ? await asInputError(() => Deno.readTextFile(flags.corpus!)) : undefined;
  const checkpoint = asInputErrorSync(() => initCheckpoint(config, { seed, corpus }), configPath);
  await saveCheckpoint(out, checkpoint, { dtype });
  console.log(`model init: wrote ${out} (${config.model_type}, seed ${seed}, ${dtype} weights)`);
}

async function exportCommand(args: string[]): Promise<void> {
  const { positionals } = parseFlagsWithPositionals(args);
  const dir = required(positionals[0], "the checkpoint folder DIR");
  const checkpoint = await asInputError(() => loadCheckpoint(dir));
  console.log(`model export-onnx: wrote ${await writeOnnx(dir, checkpoint)}`);
}

/** Writes the inference graph of a checkpoint as `onnx/model.onnx` (and external data) under `dir`. */
async function writeOnnx(dir: string, checkpoint: Checkpoint): Promise<string> {
  const model = buildInferenceModel(checkpoint.config, checkpoint.weights);
  const onnxDir = join(dir, "onnx");
  await Deno.mkdir(onnxDir, { recursive: true });
  await Deno.writeFile(join(onnxDir, "model.onnx"), model.onnx);
  if (model.externalData) {
    await Deno.writeFile(join(onnxDir, model.externalData.file), model.externalData.bytes);
  }
  return join(onnxDir, "model.onnx");
}

/** Merges a PEFT LoRA adapter into its base checkpoint: a plain model directory (with its ONNX graph). */
async function mergeLoraCommand(args: string[]): Promise<void> {
  const flags = parseFlags(args, {
    base: { type: "string" },
    adapter: { type: "string" },
    out: { type: "string" },
  });
  const baseDir = required(flags.base, "--base DIR");
  const adapterDir = required(flags.adapter, "--adapter DIR");
  const out = required(flags.out, "--out DIR");
  const base = await asInputError(() => loadCheckpoint(baseDir));
  const adapter = await asInputError(() => loadPeftAdapter(adapterDir, base.config));
  const merged = { ...base, weights: mergeLora(base.weights, adapter) };
  await saveCheckpoint(out, merged);
  await writeOnnx(out, merged);
  console.log(
    `model merge-lora: wrote ${out} (rank ${adapter.options.rank} on ${adapter.options.targets.join(", ")})`,
  );
}

async function scoreCommand(args: string[]): Promise<void> {
  const flags = parseFlags(args, {
    model: { type: "string" },
    in: { type: "string" },
    out: { type: "string" },
    grads: { type: "string" },
    batch: { type: "string", default: "8" },
  });
  const dir = required(flags.model, "--model DIR");
  const inPath = required(flags.in, "--in FILE");
  const outPath = required(flags.out, "--out FILE");
  const batchSize = integerFlag(flags.batch, "--batch", 1);
  const checkpoint = await asInputError(() => loadCheckpoint(dir));
  const text = await asInputError(() => Deno.readTextFile(inPath));
  const sequences = asInputErrorSync(() => parseSequences(text, inPath, checkpoint.config.vocab_size));
  const result = await scoreSequences(checkpoint.config, checkpoint.weights, sequences, {
    gradients: flags.grads !== undefined,
    batchSize,
  });
  await Deno.writeTextFile(
    outPath,
    result.logprobs.map((lp) => JSON.stringify({ logprobs: lp })).join("\n") + "\n",
  );
  if (flags.grads && result.gradients) {
    const shapes = parameterShapes(checkpoint.config);
    const tensors = new Map<string, TensorToWrite>(
      [...result.gradients].map(([name, data]) => [name, { shape: shapes.get(name)!, data }]),
    );
    await writeSafetensors(flags.grads, tensors, { format: "pt" });
  }
  console.log(`model score: scored ${sequences.length} sequences into ${outPath}`);
}

/** Parses the JSONL input of `model score`, naming the file and line of the first problem. */
export function parseSequences(text: string, source: string, vocabSize: number): ScoredSequence[] {
  const sequences: ScoredSequence[] = [];
  for (const { line, value } of parseJsonlLines(text, source)) {
    const where = `${source}:${line}`;
    const record = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
    const ids = record.input_ids;
    const mask = record.loss_mask;
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => Number.isInteger(id) && id >= 0)) {
      throw new Error(`${where}: "input_ids" must be a non-empty array of token ids`);
    }
    const outOfRange = ids.find((id) => id >= vocabSize);
    if (outOfRange !== undefined) {
      throw new Error(`${where}: token id ${outOfRange} is >= vocab_size ${vocabSize}`);
    }
    if (!Array.isArray(mask) || mask.length !== ids.length || !mask.every((m) => typeof m === "number")) {
      throw new Error(`${where}: "loss_mask" must be an array of ${ids.length} numbers, one per input id`);
    }
    sequences.push({ inputIds: ids, lossMask: mask });
  }
  if (sequences.length === 0) throw new Error(`${source}: no sequences to score`);
  return sequences;
}

type FlagSpec = Record<string, { type: "string"; default?: string }>;

function parseFlags(args: string[], options: FlagSpec): Record<string, string | undefined> {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as Record<
      string,
      string | undefined
    >;
  } catch (error) {
    throw new InputError(`${(error as Error).message}\n${USAGE}`);
  }
}

function parseFlagsWithPositionals(args: string[]): { positionals: string[] } {
  try {
    return parseArgs({ args, options: {}, strict: true, allowPositionals: true });
  } catch (error) {
    throw new InputError(`${(error as Error).message}\n${USAGE}`);
  }
}

function required(value: string | undefined, what: string): string {
  if (value === undefined) throw new InputError(`missing ${what}\n${USAGE}`);
  return value;
}

function integerFlag(value: string | undefined, flag: string, minimum: number): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < minimum) {
    throw new InputError(`${flag} must be an integer >= ${minimum}, not "${value}"`);
  }
  return number;
}

function dtypeFlag(value: string | undefined): FloatDtype {
  if (value === "F32" || value === "F16" || value === "BF16") return value;
  throw new InputError(`--dtype must be F32, F16 or BF16, not "${value}"`);
}

async function asInputError<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    throw new InputError((error as Error).message);
  }
}

function asInputErrorSync<T>(load: () => T, source?: string): T {
  try {
    return load();
  } catch (error) {
    throw new InputError(source ? `${source}: ${(error as Error).message}` : (error as Error).message);
  }
}
