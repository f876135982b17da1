/**
 * One gradient of the weighted policy-gradient + KL loss over many rows, computed in micro-batches whose
 * gradients are summed. Micro-batches group rows of similar length (batch.ts, lengthSortedChunks), so little
 * of each graph run is padding; the sum does not depend on the grouping (up to float rounding). The loss is a sum over tokens with weights already divided by the batch-wide divisor
 * (see {@link lossDivisor}), so summing micro-batch gradients gives exactly the full batch's gradient.
 *
 * @module
 */
import type { ScoringSession, TrainingSession } from "../model/llama/sessions.ts";
import { lengthSortedChunks, packRows, type SequenceRow } from "./batch.ts";
import { k3 } from "./kl.ts";
import { lossDivisor, type LossNormalisation, tokenWeightArrays } from "./token_weights.ts";

/** A row with the weights every token of its completion gets. */
export interface WeightedRow extends SequenceRow {
  /** token_weights: reward or advantage multiplying -log pi (before normalisation). */
  policy: number;
  /** kl_weights: the beta multiplying k3 (before normalisation). */
  kl: number;
}

/** How the gradient is computed. */
export interface GradientOptions {
  /** Rows per graph run. */
  microbatchRows: number;
  /** Rollouts in the batch (divisor of `sequence` normalisation). */
  rollouts: number;
  normalisation: LossNormalisation;
  /**
   * The frozen reference for the KL term: a scoring session with its weights, or `in-graph` when the
   * training session scores the reference itself (LoRA over the reference's own weights). Omit when no row
   * has a KL weight.
   */
  reference?: { session: ScoringSession; weights: ReadonlyMap<string, Float32Array> } | "in-graph";
  /** Called with each phase's seconds, for the timing split. */
  onTime?: (phase: "scoring" | "backward", seconds: number) => void;
}

/** The summed gradient and figures of the batch. */
export interface BatchGradient {
  /** Sum of the micro-batch losses (the normalised loss of the whole batch). */
  loss: number;
  /** Gradient of every trainable parameter. */
  grads: Map<string, Float32Array>;
  /** Completion tokens in the batch. */
  tokens: number;
  /** Mean k3 KL estimate per completion token of the rows with a KL weight (0 without a reference). */
  meanKl: number;
  /** Per row, in the rows' order, the policy's log-probabilities of its completion tokens. */
  completionLogprobs: Float32Array[];
}

/** Computes the gradient of the weighted loss over `rows`. */
export async function batchGradient(
  session: TrainingSession,
  params: ReadonlyMap<string, Float32Array>,
  rows: readonly WeightedRow[],
  options: GradientOptions,
): Promise<BatchGradient> {
  const tokens = rows.reduce((sum, row) => sum + row.completion.length, 0);
  const divisor = lossDivisor(options.normalisation, options.rollouts, tokens);
  const grads = new Map<string, Float32Array>();
  let loss = 0, klSum = 0, klTokens = 0;
  const completionLogprobs = new Array<Float32Array>(rows.length);
  for (const indices of lengthSortedChunks(rows, options.microbatchRows)) {
    const part = indices.map((i) => rows[i]);
    const { tokens: batch, spans } = packRows(part);
    const weights = tokenWeightArrays(
      spans.map((span, i) => ({ ...span, policy: part[i].policy / divisor, kl: part[i].kl / divisor })),
      { rows: batch.batch, length: batch.seq, rollouts: options.rollouts, normalisation: "none" },
    );
    let started = performance.now();
    const scored = options.reference && options.reference !== "in-graph" ? options.reference : undefined;
    let refLogprobs = scored
      ? (await scored.session.score(scored.weights, {
        ...batch,
        positions: weightedPositions(weights.klWeights),
      })).logprobs
      : new Float32Array(batch.batch * batch.seq);
    maskUnweighted(refLogprobs, weights.klWeights);
    options.onTime?.("scoring", (performance.now() - started) / 1000);
    started = performance.now();
    const result = await session.lossAndGrads(params, {
      ...batch,
      tokenWeights: weights.tokenWeights,
      klWeights: weights.klWeights,
      refLogprobs,
    });
    options.onTime?.("backward", (performance.now() - started) / 1000);
    if (result.refLogprobs) refLogprobs = result.refLogprobs;
    loss += result.loss;
    addInto(grads, result.grads);
    spans.forEach((span, i) => {
      const from = span.row * batch.seq;
      completionLogprobs[indices[i]] = result.logprobs.slice(from + span.start, from + span.end);
      if (!options.reference || part[i].kl === 0) return;
      for (let t = span.start; t < span.end; t++) {
        klSum += k3(result.logprobs[from + t], refLogprobs[from + t]);
        klTokens++;
      }
    });
  }
  return { loss, grads, tokens, meanKl: klTokens === 0 ? 0 : klSum / klTokens, completionLogprobs };
}

/**
 * The reference log-probability given where no KL weight applies. The graph computes k3 = exp(d) - d - 1 with
 * d = ref - logp at every position and multiplies it by the weight; a far-negative ref keeps exp(d) at 0 there,
 * so a zero weight never meets an overflowing exp (0 * inf would be NaN).
 */
export const UNWEIGHTED_REFERENCE = -1e4;

/** The positions with a KL weight (the reference is scored there only); position 0 when there is none. */
function weightedPositions(klWeights: Float32Array): number[] {
  const positions: number[] = [];
  klWeights.forEach((weight, i) => weight !== 0 && positions.push(i));
  return positions.length > 0 ? positions : [0];
}

function maskUnweighted(refLogprobs: Float32Array, klWeights: Float32Array): void {
  for (let i = 0; i < refLogprobs.length; i++) if (klWeights[i] === 0) refLogprobs[i] = UNWEIGHTED_REFERENCE;
}

function addInto(total: Map<string, Float32Array>, part: Map<string, Float32Array>): void {
  for (const [name, grad] of part) {
    const sum = total.get(name);
    if (!sum) {
      total.set(name, grad.slice());
      continue;
    }
    for (let i = 0; i < grad.length; i++) sum[i] += grad[i];
  }
}
