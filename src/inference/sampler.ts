/**
 * Token selection from one row of logits: greedy, temperature, top-k and top-p (nucleus) sampling, all on
 * typed arrays. Besides the token it returns two log-probabilities: under the distribution the token was
 * actually drawn from (after temperature and truncation) and under the raw model (temperature 1, no
 * truncation), which is what reinforcement learning and KL penalties need.
 *
 * @module
 */
import type { SeededRng } from "./rng.ts";

/** How tokens are chosen. Processing order follows Hugging Face: temperature, then top-k, then top-p. */
export interface SamplingSettings {
  /** 0 selects greedy decoding (argmax); otherwise logits are divided by it. */
  temperature: number;
  /** Keep the smallest set of most likely tokens whose probability reaches this mass (1 disables). */
  topP: number;
  /** Keep only the k most likely tokens (0 disables). */
  topK: number;
}

/** Greedy decoding: the settings used for evaluation. */
export const GREEDY: SamplingSettings = { temperature: 0, topP: 1, topK: 0 };

/** One chosen token with its log-probabilities. */
export interface TokenChoice {
  /** The token id. */
  token: number;
  /** log p(token) under the sampling distribution (0 for greedy: the choice was certain). */
  logprob: number;
  /** log p(token) under the raw model: softmax of the logits at temperature 1, no truncation. */
  rawLogprob: number;
}

/** Checks sampling settings, throwing an error that names the bad field. */
export function validateSampling(settings: SamplingSettings): void {
  const { temperature, topP, topK } = settings;
  if (!(temperature >= 0) || !Number.isFinite(temperature)) {
    throw new Error(`sampling: temperature must be a finite number >= 0 (0 = greedy), got ${temperature}`);
  }
  if (!(topP > 0 && topP <= 1)) throw new Error(`sampling: top_p must be in (0, 1], got ${topP}`);
  if (!Number.isInteger(topK) || topK < 0) {
    throw new Error(`sampling: top_k must be an integer >= 0 (0 disables), got ${topK}`);
  }
}

/**
 * Chooses tokens from rows of logits. Holds scratch buffers sized to the vocabulary, so one sampler is
 * reused for every row and step of a generation (not thread-safe; not shared across concurrent calls).
 */
export class TokenSampler {
  readonly vocab: number;
  #weights: Float64Array;
  #heapValues: Float32Array;
  #heapIndices: Int32Array;

  /** Creates a sampler for a vocabulary of `vocab` tokens. */
  constructor(vocab: number) {
    this.vocab = vocab;
    this.#weights = new Float64Array(vocab);
    this.#heapValues = new Float32Array(vocab);
    this.#heapIndices = new Int32Array(vocab);
  }

  /**
   * Chooses the next token from `logits[offset .. offset + vocab)`. Draws exactly one uniform number from
   * `rng` when sampling and none when greedy, so a sequence's random stream depends only on its own steps.
   */
  choose(logits: Float32Array, offset: number, settings: SamplingSettings, rng: SeededRng): TokenChoice {
    const row = logits.subarray(offset, offset + this.vocab);
    if (settings.temperature === 0) return greedyChoice(row);
    const max = rowMax(row);
    const k = settings.topK > 0 && settings.topK < this.vocab ? settings.topK : 0;
    if (k === 0 && settings.topP >= 1) return this.#sampleFull(row, max, settings.temperature, rng);
    return this.#sampleTruncated(row, max, settings, k, rng);
  }

  /** Samples from the whole vocabulary at a temperature, scanning token ids in order. */
  #sampleFull(
    row: Float32Array,
    max: number,
    temperature: number,
    rng: SeededRng,
  ): TokenChoice {
    const weights = this.#weights;
    let total = 0;
    for (let i = 0; i < row.length; i++) {
      const w = Math.exp((row[i] - max) / temperature);
      weights[i] = w;
      total += w;
    }
    const token = drawIndex(weights, row.length, total, rng);
    // at temperature 1 the sampling weights are the raw model's: their sum is the raw normalizer too
    const rawNorm = max + Math.log(temperature === 1 ? total : sumExp(row, max, 1));
    return { token, logprob: Math.log(weights[token] / total), rawLogprob: row[token] - rawNorm };
  }

  /**
   * Samples after top-k and/or top-p truncation. The candidates come from a partial selection (a bounded
   * min-heap), never a full sort of the vocabulary: for top-p alone the candidate count grows geometrically
   * until the kept mass reaches p.
   */
  #sampleTruncated(
    row: Float32Array,
    max: number,
    settings: SamplingSettings,
    topK: number,
    rng: SeededRng,
  ): TokenChoice {
    const { temperature, topP } = settings;
    const fullMass = topK === 0 ? sumExp(row, max, temperature) : 0;
    const rawNorm = max + Math.log(topK === 0 && temperature === 1 ? fullMass : sumExp(row, max, 1));
    let count = topK === 0 ? Math.min(64, row.length) : topK;
    for (;;) {
      const candidates = this.#topCandidates(row, count);
      const weights = this.#weights;
      let mass = 0;
      for (let i = 0; i < count; i++) {
        weights[i] = Math.exp((row[candidates[i]] - max) / temperature);
        mass += weights[i];
      }
      const normalizer = topK === 0 ? fullMass : mass;
      let kept = count;
      if (topP < 1) {
        let cumulative = 0;
        kept = 0;
        while (kept < count && cumulative < topP * normalizer) cumulative += weights[kept++];
        const exhausted = topK !== 0 || count === row.length;
        if (cumulative < topP * normalizer && !exhausted) {
          count = Math.min(row.length, count * 4);
          continue;
        }
      }
      return this.#drawFromCandidates(row, candidates, kept, rng, rawNorm);
    }
  }

  /** Draws among the first `kept` candidates (weights already in the scratch buffer), in rank order. */
  #drawFromCandidates(
    row: Float32Array,
    candidates: Int32Array,
    kept: number,
    rng: SeededRng,
    rawNorm: number,
  ): TokenChoice {
    const weights = this.#weights;
    let keptMass = 0;
    for (let i = 0; i < kept; i++) keptMass += weights[i];
    const rank = drawIndex(weights, kept, keptMass, rng);
    const token = candidates[rank];
    return { token, logprob: Math.log(weights[rank] / keptMass), rawLogprob: row[token] - rawNorm };
  }

  /**
   * The indices of the `count` largest logits, most likely first (ties: lower token id first), found with a
   * min-heap of size `count` in O(V log count).
   */
  #topCandidates(row: Float32Array, count: number): Int32Array {
    const values = this.#heapValues;
    const indices = this.#heapIndices;
    let size = 0;
    for (let i = 0; i < row.length; i++) {
      const v = row[i];
      if (size < count) {
        values[size] = v;
        indices[size] = i;
        siftUp(values, indices, size++);
      } else if (v > values[0]) {
        values[0] = v;
        indices[0] = i;
        siftDown(values, indices, 0, size);
      }
    }
    // Pop the heap from the back: repeatedly move the smallest to the end, leaving a descending order.
    for (let end = size - 1; end > 0; end--) {
      swap(values, indices, 0, end);
      siftDown(values, indices, 0, end);
    }
    return indices.subarray(0, size);
  }
}

/** True when heap entry a ranks below entry b (smaller logit; on ties, the larger token id ranks lower). */
function ranksBelow(values: Float32Array, indices: Int32Array, a: number, b: number): boolean {
  return values[a] < values[b] || (values[a] === values[b] && indices[a] > indices[b]);
}

function siftUp(values: Float32Array, indices: Int32Array, at: number): void {
  while (at > 0) {
    const parent = (at - 1) >> 1;
    if (!ranksBelow(values, indices, at, parent)) return;
    swap(values, indices, at, parent);
    at = parent;
  }
}

function siftDown(values: Float32Array, indices: Int32Array, at: number, size: number): void {
  for (;;) {
    const left = 2 * at + 1;
    if (left >= size) return;
    const right = left + 1;
    const lowest = right < size && ranksBelow(values, indices, right, left) ? right : left;
    if (!ranksBelow(values, indices, lowest, at)) return;
    swap(values, indices, at, lowest);
    at = lowest;
  }
}

function swap(values: Float32Array, indices: Int32Array, a: number, b: number): void {
  const v = values[a];
  values[a] = values[b];
  values[b] = v;
  const i = indices[a];
  indices[a] = indices[b];
  indices[b] = i;
}

function rowMax(row: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  return max;
}

/**
 * Greedy decoding: the first index of the largest logit, certain under the sampling distribution; its raw
 * log-probability is -log(sum(exp(logit - max))) since its own logit is the max (one pass to find it, one
 * to sum).
 */
function greedyChoice(row: Float32Array): TokenChoice {
  let token = 0;
  let max = row[0];
  for (let i = 1; i < row.length; i++) {
    if (row[i] > max) {
      max = row[i];
      token = i;
    }
  }
  return { token, logprob: 0, rawLogprob: -Math.log(sumExp(row, max, 1)) };
}

function sumExp(row: Float32Array, max: number, temperature: number): number {
  let total = 0;
  if (temperature === 1) {
    for (let i = 0; i < row.length; i++) total += Math.exp(row[i] - max);
  } else {
    for (let i = 0; i < row.length; i++) total += Math.exp((row[i] - max) / temperature);
  }
  return total;
}

/**
 * Draws an index in [0, count) with probability weights[i] / total (inverse CDF, one uniform draw, indices in
 * order). The first index whose running sum passes the draw always has a positive weight; when rounding lets
 * the scan run off the end, the last positive weight is taken.
 */
function drawIndex(
  weights: Float32Array | Float64Array,
  count: number,
  total: number,
  rng: SeededRng,
): number {
  const target = rng.nextFloat() * total;
  let cumulative = 0;
  for (let i = 0; i < count; i++) {
    cumulative += weights[i];
    if (cumulative > target) return i;
  }
  let last = count - 1;
  while (last > 0 && weights[last] === 0) last--;
  return last;
}
