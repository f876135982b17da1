/**
 * A seeded, resumable data order: epochs of independent shuffles laid end to end, so the batch of any update
 * is a function of (seed, stream, update index) alone and a resumed run draws exactly the batches it would have
 * drawn. The stream names who draws (for example a SCoRe stage), so two users of one seed draw different orders.
 *
 * @module
 */
import { sequenceRng } from "../inference/rng.ts";

/**
 * The permutation of `count` items used in epoch `epoch` (Fisher-Yates, seeded by (seed, stream, epoch));
 * `epochPermutation(10, 0, 0, "stage2")` differs from `epochPermutation(10, 0, 0)`.
 */
export function epochPermutation(count: number, seed: number, epoch: number, stream = ""): number[] {
  const rng = sequenceRng(seed, stream === "" ? "epoch" : `epoch/${stream}`, epoch);
  const order = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(rng.nextFloat() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/**
 * Indices of the items of update `update` (0-based), `batchSize` of them, continuing across epochs, from the
 * order of `stream` (the default stream is the one the SFT step uses).
 */
export function batchIndices(
  count: number,
  batchSize: number,
  update: number,
  seed: number,
  stream = "",
): number[] {
  if (count < 1) throw new Error("batchIndices: no items to draw from; give the step at least one record");
  const out: number[] = [];
  let epoch = -1;
  let order: number[] = [];
  for (let k = update * batchSize; k < (update + 1) * batchSize; k++) {
    const e = Math.floor(k / count);
    if (e !== epoch) {
      epoch = e;
      order = epochPermutation(count, seed, epoch, stream);
    }
    out.push(order[k % count]);
  }
  return out;
}
