/**
 * Helpers the training step kinds share for their `lora:` setting: the parameter, the trained parameters
 * (adapters over frozen base weights, or every weight), and the `model` output (merged checkpoint plus PEFT
 * adapter, or the adapter alone).
 *
 * @module
 */
import { join } from "node:path";
import type { Checkpoint } from "../model/checkpoint.ts";
import { initLoraAdapters, mergeLora, savePeftAdapter } from "../model/lora.ts";
import { loadPolicy, saveModelDir } from "../training/policy.ts";
import { DEFAULT_LORA_SETTINGS, type LoraChoice, LoraSettings } from "../training/lora_settings.ts";
import { readTrainingState } from "../training/training_state.ts";
import type { AdamState } from "../training/adam.ts";

/**
 * The `lora:` parameter of the training step kinds (defaults: see {@link LoraSettings}).
 *
 * @example
 * ```ts
 * import { LoraParam } from "./_lora.ts";
 * LoraParam.parse({ rank: 8 }).enabled; // "auto"
 * ```
 */
export const LoraParam = LoraSettings.default(DEFAULT_LORA_SETTINGS);

/** What a training step trains, and the optimizer state it resumes with. */
export interface TrainedParameters {
  /** Adam's parameters: the adapters with LoRA, else the policy's own weights. */
  params: Map<string, Float32Array>;
  adamState?: AdamState;
}

/**
 * The parameters a step trains: fresh adapters (seeded by `seed`) or the policy's weights, replaced by those
 * of the checkpoint at `resumeDir` when resuming.
 *
 * @example
 * ```ts ignore
 * const { params, adamState } = await trainedParameters(policy, lora, params.seed, resume?.dir);
 * ```
 */
export async function trainedParameters(
  policy: Checkpoint,
  lora: LoraChoice | undefined,
  seed: number,
  resumeDir: string | undefined,
): Promise<TrainedParameters> {
  const params = lora ? initLoraAdapters(policy.config, lora.options, seed) : policy.weights;
  if (!resumeDir) return { params };
  const adamState = await readTrainingState(resumeDir, { config: policy.config, weights: params });
  return { params, adamState };
}

/**
 * Writes a training step's `model` output. Full training: the model directory. LoRA with merge: the base
 * with the adapters merged in (a plain checkpoint) and the PEFT adapter in `adapter/`; without merge: the PEFT
 * adapter alone. `basePath` is the model directory the base weights are read from (a LoRA step may have let
 * go of them while training).
 *
 * @example
 * ```ts ignore
 * await saveTrainedModel(await ctx.dir("model"), policy, lora, adapters, modelPath(params.model));
 * ```
 */
export async function saveTrainedModel(
  dir: string,
  policy: Checkpoint,
  lora: LoraChoice | undefined,
  params: Map<string, Float32Array>,
  basePath: string,
): Promise<void> {
  if (!lora) return await saveModelDir(dir, policy);
  const adapter = { options: lora.options, dropout: lora.dropout, tensors: params };
  if (!lora.merge) return await savePeftAdapter(dir, policy.config, adapter, basePath);
  const base = policy.weights.size > 0 ? policy : await loadPolicy(basePath);
  await saveModelDir(dir, { ...base, weights: mergeLora(base.weights, adapter) });
  await savePeftAdapter(join(dir, "adapter"), policy.config, adapter, basePath);
}
