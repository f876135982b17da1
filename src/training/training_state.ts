/**
 * A training checkpoint on disk: the policy's weights and the optimizer's moments as safetensors, so that a
 * resumed step continues with bit-identical parameters and optimizer state. Small state (update index, data
 * position, RNG position) travels in the checkpoint's JSON metadata, which the engine stores.
 *
 * @module
 */
import { join } from "node:path";
import { parameterShapes } from "../model/config.ts";
import type { Checkpoint } from "../model/checkpoint.ts";
import { readSafetensors, type TensorToWrite, writeSafetensors } from "../model/safetensors.ts";
import type { AdamState } from "./adam.ts";

const WEIGHTS_FILE = "weights.safetensors";
const OPTIMIZER_FILE = "optimizer.safetensors";
const STEP_KEY = "adam_step";

/** Writes the weights and optimizer state into `dir`. */
export async function writeTrainingState(dir: string, policy: Checkpoint, adam: AdamState): Promise<void> {
  const shapes = parameterShapes(policy.config);
  const weights = new Map<string, TensorToWrite>();
  for (const [name, data] of policy.weights) {
    weights.set(name, { shape: shapes.get(name) ?? [data.length], data });
  }
  await writeSafetensors(join(dir, WEIGHTS_FILE), weights);
  const moments = new Map<string, TensorToWrite>();
  for (const [name, data] of adam.tensors) moments.set(name, { shape: [data.length], data });
  await writeSafetensors(join(dir, OPTIMIZER_FILE), moments, { [STEP_KEY]: String(adam.step) });
}

/** Reads back what {@link writeTrainingState} wrote: weights into `policy` (replacing them) and the Adam state. */
export async function readTrainingState(dir: string, policy: Checkpoint): Promise<AdamState> {
  const weights = await readSafetensors(join(dir, WEIGHTS_FILE));
  for (const name of policy.weights.keys()) {
    const tensor = weights.tensors.get(name);
    if (!(tensor?.data instanceof Float32Array)) {
      throw new Error(
        `${dir}/${WEIGHTS_FILE}: no float tensor "${name}"; the checkpoint belongs to another model`,
      );
    }
    policy.weights.set(name, tensor.data);
  }
  const optimizer = await readSafetensors(join(dir, OPTIMIZER_FILE));
  const step = Number(optimizer.metadata[STEP_KEY]);
  if (!Number.isInteger(step)) throw new Error(`${dir}/${OPTIMIZER_FILE}: metadata ${STEP_KEY} is missing`);
  const tensors = new Map<string, Float32Array>();
  for (const [name, tensor] of optimizer.tensors) tensors.set(name, tensor.data as Float32Array);
  return { step, tensors };
}
