/**
 * Spreads per-attempt weights over the token positions of a training batch: the `token_weights` and
 * `kl_weights` [B, T] inputs of the training graph.
 *
 * Positions are those of the graph's `targets`: position t of row b holds the weight of the token
 * targets[b, t], predicted from input_ids[b, 0..t]. A span covers the positions of one attempt's tokens
 * (including its end-of-sequence token when the model emitted one); prompt, instruction and padding positions
 * are in no span and keep weight 0.
 *
 * Normalisation (the loss is a sum; the divisor turns it into a mean):
 * - `sequence` (default): divide by the number of rollouts. Each rollout contributes the sum over its tokens,
 *   which is exactly the REINFORCE estimator of the gradient of the expected reward (and of the sequence-level
 *   KL), averaged over the batch; the learning rate then does not depend on response length.
 * - `token`: divide by the number of weighted tokens in the batch. Steadier step sizes when lengths vary a lot,
 *   but long responses weigh more per rollout, a bias towards length.
 * - `none`: the raw sum (for tests and for callers that scale the learning rate themselves).
 *
 * @module
 */
import { z } from "zod";

/** How the summed loss is turned into a mean; see the module doc. */
export const LossNormalisation = z.enum(["sequence", "token", "none"]);
/** How the summed loss is turned into a mean. */
export type LossNormalisation = z.infer<typeof LossNormalisation>;

/** The positions of one attempt in the batch and the weights its tokens get. */
export interface WeightedSpan {
  /** Row of the batch. */
  row: number;
  /** First target position of the attempt's tokens. */
  start: number;
  /** One past the last target position. */
  end: number;
  /** token_weights value of every position in [start, end). */
  policy: number;
  /** kl_weights value of every position in [start, end). */
  kl: number;
}

/** The shape of the batch and how to normalise the loss. */
export interface BatchShape {
  /** Rows (B). */
  rows: number;
  /** Target positions per row (T). */
  length: number;
  /** Rollouts in the batch: the divisor of `sequence` normalisation. */
  rollouts: number;
  /** See {@link LossNormalisation}. */
  normalisation: LossNormalisation;
}

/** The [B, T] weight inputs of the training graph, row-major, plus what was used to build them. */
export interface TokenWeights {
  /** token_weights input. */
  tokenWeights: Float32Array;
  /** kl_weights input. */
  klWeights: Float32Array;
  /** 1 where a span covers the position (for per-token statistics such as the mean KL). */
  mask: Float32Array;
  /** Positions covered by spans. */
  tokens: number;
  /** What every weight was divided by. */
  divisor: number;
}

/** The divisor of the summed loss for a normalisation. */
export function lossDivisor(normalisation: LossNormalisation, rollouts: number, tokens: number): number {
  if (normalisation === "none") return 1;
  const count = normalisation === "sequence" ? rollouts : tokens;
  return Math.max(count, 1);
}

/** Fills the weight inputs; throws when a span leaves the batch or two spans overlap. */
export function tokenWeightArrays(spans: readonly WeightedSpan[], shape: BatchShape): TokenWeights {
  const size = shape.rows * shape.length;
  const tokenWeights = new Float32Array(size);
  const klWeights = new Float32Array(size);
  const mask = new Float32Array(size);
  let tokens = 0;
  for (const [index, span] of spans.entries()) {
    checkSpan(span, index, shape);
    for (let t = span.start; t < span.end; t++) {
      const at = span.row * shape.length + t;
      if (mask[at] !== 0) {
        throw new Error(
          `tokenWeightArrays: span ${index} overlaps an earlier span at row ${span.row}, position ${t}; ` +
            `each target position belongs to at most one attempt`,
        );
      }
      mask[at] = 1;
      tokenWeights[at] = span.policy;
      klWeights[at] = span.kl;
    }
    tokens += span.end - span.start;
  }
  const divisor = lossDivisor(shape.normalisation, shape.rollouts, tokens);
  if (divisor !== 1) {
    for (let i = 0; i < size; i++) {
      tokenWeights[i] /= divisor;
      klWeights[i] /= divisor;
    }
  }
  return { tokenWeights, klWeights, mask, tokens, divisor };
}

function checkSpan(span: WeightedSpan, index: number, shape: BatchShape): void {
  const inRows = Number.isInteger(span.row) && span.row >= 0 && span.row < shape.rows;
  const inLength = Number.isInteger(span.start) && Number.isInteger(span.end) && span.start >= 0 &&
    span.start <= span.end && span.end <= shape.length;
  if (!inRows || !inLength) {
    throw new Error(
      `tokenWeightArrays: span ${index} (row ${span.row}, positions ${span.start}..${span.end}) does not fit ` +
        `a batch of ${shape.rows} rows x ${shape.length} positions; build the batch wide enough for every attempt`,
    );
  }
}
