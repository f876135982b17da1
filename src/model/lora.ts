/**
 * LoRA adapters outside the graph: their initial values (PEFT's: A Kaiming-uniform, B zero, so an untrained
 * adapter leaves the model unchanged), the Hugging Face PEFT files (`adapter_config.json` +
 * `adapter_model.safetensors`, keys `base_model.model.<module>.lora_A.weight`), and the merge of adapters into
 * the base weights, W += (alpha / rank) * B A, which gives a plain checkpoint any loader reads.
 *
 * @module
 */
import { join } from "node:path";
import { z } from "zod";
import type { LlamaConfig } from "./config.ts";
import { LORA_TARGETS, type LoraOptions, loraShapes } from "./llama/decoder.ts";
import { createRng } from "./random.ts";
import { readSafetensors, type TensorToWrite, writeSafetensors } from "./safetensors.ts";

/** File names of a PEFT adapter directory. */
export const PEFT_FILES = { config: "adapter_config.json", weights: "adapter_model.safetensors" } as const;

/** The prefix PEFT puts before a module's Hugging Face name. */
const PEFT_PREFIX = "base_model.model.";

/** The fields of `adapter_config.json` this project reads (others are kept by PEFT and ignored here). */
const PeftConfig = z.looseObject({
  peft_type: z.literal("LORA"),
  r: z.number().int().positive(),
  lora_alpha: z.number().positive(),
  lora_dropout: z.number().min(0).max(1).default(0),
  target_modules: z.array(z.enum(LORA_TARGETS)).min(1),
  base_model_name_or_path: z.string().nullable().optional(),
});

/** An adapter in memory: its options and tensors under the project's (Hugging Face module) names. */
export interface LoraAdapter {
  options: LoraOptions;
  /** Dropout the adapter was trained with (recorded in adapter_config.json). */
  dropout: number;
  tensors: Map<string, Float32Array>;
}

/**
 * Fresh adapters for `config`: A uniform in +-1/sqrt(in) (PEFT's kaiming_uniform_(a=sqrt(5))), B zero.
 *
 * @example
 * ```ts ignore
 * const adapters = initLoraAdapters(config, { rank: 16, alpha: 32, targets: ["q_proj", "v_proj"] }, 0);
 * ```
 */
export function initLoraAdapters(
  config: LlamaConfig,
  options: LoraOptions,
  seed: number,
): Map<string, Float32Array> {
  const rng = createRng(seed);
  const tensors = new Map<string, Float32Array>();
  for (const [name, shape] of loraShapes(config, options)) {
    const data = new Float32Array(shape[0] * shape[1]);
    if (name.endsWith("lora_A.weight")) {
      const bound = 1 / Math.sqrt(shape[1]);
      for (let i = 0; i < data.length; i++) data[i] = (2 * rng.uniform() - 1) * bound;
    }
    tensors.set(name, data);
  }
  return tensors;
}

/**
 * Writes an adapter as a PEFT directory (`adapter_config.json`, `adapter_model.safetensors`).
 *
 * @example
 * ```ts ignore
 * await savePeftAdapter("out/adapter", config, adapter, "models/base");
 * ```
 */
export async function savePeftAdapter(
  dir: string,
  config: LlamaConfig,
  adapter: LoraAdapter,
  baseModel: string | null = null,
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const { rank, alpha, targets } = adapter.options;
  const peftConfig = {
    peft_type: "LORA",
    task_type: "CAUSAL_LM",
    r: rank,
    lora_alpha: alpha ?? rank,
    lora_dropout: adapter.dropout,
    target_modules: targets,
    bias: "none",
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    modules_to_save: null,
    use_rslora: false,
    base_model_name_or_path: baseModel,
  };
  await Deno.writeTextFile(join(dir, PEFT_FILES.config), JSON.stringify(peftConfig, null, 2) + "\n");
  const tensors = new Map<string, TensorToWrite>();
  for (const [name, shape] of loraShapes(config, adapter.options)) {
    const data = adapter.tensors.get(name);
    if (!data) throw new Error(`${dir}: cannot save the adapter, tensor "${name}" is missing`);
    tensors.set(PEFT_PREFIX + name, { shape, data });
  }
  await writeSafetensors(join(dir, PEFT_FILES.weights), tensors, { format: "pt" });
}

/**
 * Reads a PEFT LoRA directory written by this project or by PEFT for a Llama-family model, checking every
 * tensor's shape against `config`.
 *
 * @example
 * ```ts ignore
 * const adapter = await loadPeftAdapter("out/adapter", config);
 * ```
 */
export async function loadPeftAdapter(dir: string, config: LlamaConfig): Promise<LoraAdapter> {
  const configPath = join(dir, PEFT_FILES.config);
  let raw: unknown;
  try {
    raw = JSON.parse(await Deno.readTextFile(configPath));
  } catch (error) {
    throw new Error(`${configPath}: cannot read the adapter config: ${(error as Error).message}`);
  }
  const parsed = PeftConfig.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `${configPath}: field ${issue.path.join(".")}: ${issue.message} (only LoRA adapters on ` +
        `${LORA_TARGETS.join(", ")} are supported)`,
    );
  }
  const peft = parsed.data;
  const options: LoraOptions = { rank: peft.r, alpha: peft.lora_alpha, targets: peft.target_modules };
  const shapes = loraShapes(config, options);
  const file = await readSafetensors(join(dir, PEFT_FILES.weights), {
    names: [...shapes.keys()].map((name) => PEFT_PREFIX + name),
    shapes: new Map([...shapes].map(([name, shape]) => [PEFT_PREFIX + name, shape])),
  });
  const tensors = new Map<string, Float32Array>();
  for (const name of shapes.keys()) {
    const data = file.tensors.get(PEFT_PREFIX + name)?.data;
    if (!(data instanceof Float32Array)) throw new Error(`${dir}: adapter tensor "${name}" is not float`);
    tensors.set(name, data);
  }
  return { options, dropout: peft.lora_dropout, tensors };
}

/**
 * Base weights with the adapter merged in: W + (alpha / rank) * B A for every adapted projection (new arrays
 * for those; other tensors are shared with `base`).
 *
 * @example
 * ```ts ignore
 * const merged = mergeLora(checkpoint.weights, adapter);
 * ```
 */
export function mergeLora(
  base: ReadonlyMap<string, Float32Array>,
  adapter: Pick<LoraAdapter, "options" | "tensors">,
): Map<string, Float32Array> {
  const merged = new Map(base);
  const { rank, alpha } = adapter.options;
  const scale = (alpha ?? rank) / rank;
  for (const [name, a] of adapter.tensors) {
    if (!name.endsWith(".lora_A.weight")) continue;
    const module = name.slice(0, -".lora_A.weight".length);
    const b = adapter.tensors.get(`${module}.lora_B.weight`);
    const weight = base.get(`${module}.weight`);
    if (!b || !weight) {
      throw new Error(`mergeLora: "${module}" lacks its lora_B tensor or its base weight`);
    }
    const inputs = a.length / rank;
    const outputs = b.length / rank;
    if (weight.length !== inputs * outputs) {
      throw new Error(
        `mergeLora: "${module}.weight" has ${weight.length} values, the adapter implies ` +
          `[${outputs}, ${inputs}]; the adapter belongs to another model`,
      );
    }
    const out = weight.slice();
    for (let o = 0; o < outputs; o++) {
      const row = o * inputs;
      for (let r = 0; r < rank; r++) {
        const factor = scale * b[o * rank + r];
        if (factor === 0) continue;
        const aRow = r * inputs;
        for (let i = 0; i < inputs; i++) out[row + i] += factor * a[aRow + i];
      }
    }
    merged.set(`${module}.weight`, out);
  }
  return merged;
}
