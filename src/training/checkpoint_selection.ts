/**
 * Checkpoint selection by training reward, as the paper selects its checkpoints: the weights a SCoRe step
 * outputs are either the last ones (the default) or those whose rollouts earned the highest training reward.
 *
 * The rollouts of update u are sampled from the weights before u's optimizer step, so the reward of update u
 * judges exactly those weights; the weights after the last update are never sampled and so are only output
 * under `last`. Per-update rewards are noisy (one batch of rollouts each), so with small batches the
 * selection partly picks noise: a training-curve choice, not an evaluation.
 *
 * @module
 */
import { join } from "node:path";
import { z } from "zod";
import { readSafetensors, type TensorToWrite, writeSafetensors } from "../model/safetensors.ts";

/** Which weights a SCoRe training step outputs: `last`, or `best_reward` (the paper's choice). */
export const CheckpointSelection = z.enum(["last", "best_reward"]);
/** Which weights a SCoRe training step outputs. */
export type CheckpointSelection = z.infer<typeof CheckpointSelection>;

/** The rewards of one update's rollouts (means over the batch; attempt 2 NaN when not sampled). */
export interface UpdateRewards {
  rewardAttempt1: number;
  rewardAttempt2: number;
}

/**
 * The training reward an update is judged by: the reward its stage optimises, without the KL terms and the
 * shaping bonus (attempt 2's reward in Stage I, the sum of both attempts' in Stage II, attempt 1's in
 * single-turn training).
 */
export function selectionReward(stage: "stage1" | "stage2" | "single_turn", rewards: UpdateRewards): number {
  if (stage === "stage1") return rewards.rewardAttempt2;
  if (stage === "stage2") return rewards.rewardAttempt1 + rewards.rewardAttempt2;
  return rewards.rewardAttempt1;
}

/** The best update so far: its index and reward (the weights live in {@link BestWeights}). */
export interface BestUpdate {
  update: number;
  reward: number;
}

/** Copies a weight map so that later updates leave the copy as is. */
export function copyWeights(weights: ReadonlyMap<string, Float32Array>): Map<string, Float32Array> {
  return new Map([...weights].map(([name, data]) => [name, data.slice()]));
}

const BEST_WEIGHTS_FILE = "best_weights.safetensors";

/** Keeps the weights whose rollouts earned the highest training reward so far (a later update wins ties). */
export class BestWeights {
  #best?: BestUpdate;
  #weights?: Map<string, Float32Array>;

  /** The best update so far, if any update has been offered. */
  get best(): BestUpdate | undefined {
    return this.#best;
  }

  /** The best update's weights, if any update has been offered. */
  get weights(): ReadonlyMap<string, Float32Array> | undefined {
    return this.#weights;
  }

  /**
   * Offers the weights that sampled update `update` (taken before its optimizer step) and their reward; keeps
   * them when the reward is at least the best so far. NaN rewards are never kept. Returns whether it kept them.
   */
  offer(update: number, reward: number, weights: Map<string, Float32Array>): boolean {
    if (Number.isNaN(reward) || (this.#best && reward < this.#best.reward)) return false;
    this.#best = { update, reward };
    this.#weights = weights;
    return true;
  }

  /** Writes the best weights into a checkpoint directory (nothing when no update has been offered). */
  async write(dir: string): Promise<void> {
    if (!this.#weights) return;
    const tensors = new Map<string, TensorToWrite>();
    for (const [name, data] of this.#weights) tensors.set(name, { shape: [data.length], data });
    await writeSafetensors(join(dir, BEST_WEIGHTS_FILE), tensors);
  }

  /** Restores what {@link write} wrote, for the update and reward stored in the checkpoint's metadata. */
  async read(dir: string, best: BestUpdate): Promise<void> {
    const file = await readSafetensors(join(dir, BEST_WEIGHTS_FILE));
    const weights = new Map<string, Float32Array>();
    for (const [name, tensor] of file.tensors) {
      if (!(tensor.data instanceof Float32Array)) {
        throw new Error(
          `${dir}/${BEST_WEIGHTS_FILE}: tensor "${name}" is not float32; the checkpoint is damaged`,
        );
      }
      weights.set(name, tensor.data);
    }
    this.#best = best;
    this.#weights = weights;
  }
}
