/**
 * A seeded, resumable data order: epochs of independent shuffles laid end to end, so the batch of any update
 * is a function of (seed, update index) alone and a resumed run draws exactly the batches it would have drawn.
 *
 * @module
 */
import { sequenceRng } from "../inference/rng.ts";

/** The permutation of `count` items used in epoch `epoch` (Fisher-Yates, seeded by (seed, epoch)). */
export function epochPermutation(count: number, seed: number, epoch: number): number[] {
  const rng = sequenceRng(seed, "epoch", epoch);
  const order = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(rng.nextFloat() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** Indices of the items of update `update` (0-based), `batchSize` of them, continuing across epochs. */
export function batchIndices(count: number, batchSize: number, update: number, seed: number): number[] {
  if (count < 1) throw new Error("batchIndices: no items to draw from; give the step at least one record");
  const out: number[] = [];
  let epoch = -1;
  let order: number[] = [];
  for (let k = update * batchSize; k < (update + 1) * batchSize; k++) {
    const e = Math.floor(k / count);
    if (e !== epoch) {
      epoch = e;
      order = epochPermutation(count, seed, epoch);
    }
    out.push(order[k % count]);
  }
  return out;
}
