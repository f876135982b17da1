/**
 * Scores token sequences with a model: the log-probability of every token given the ones before it, and
 * optionally the gradient of the sum of masked log-probabilities with respect to every parameter. Runs the
 * scoring or training sessions of `llama/sessions.ts` on right-padded batches.
 *
 * @module
 */
import type { LlamaConfig } from "./config.ts";
import { ScoringSession, type TrainingBatch, TrainingSession } from "./llama/sessions.ts";

/** One sequence to score: its tokens and which of them count towards the gradient (1) or not (0). */
export interface ScoredSequence {
  inputIds: number[];
  lossMask: number[];
}

/** Options for {@linkcode scoreSequences}. */
export interface ScoreOptions {
  /** Also compute the gradient of sum(loss_mask[t] * logprob[t]) over all sequences. */
  gradients?: boolean;
  /** Sequences per graph run (default 8). */
  batchSize?: number;
}

/** Per-token log-probabilities (entry t is log p(ids[t] | ids[<t]); entry 0 is null) and optional gradients. */
export interface ScoreResult {
  logprobs: (number | null)[][];
  /** Gradient per parameter (Hugging Face names), summed over all sequences. */
  gradients?: Map<string, Float32Array>;
}

/** Scores sequences with the given weights; see {@linkcode ScoreResult}. */
export async function scoreSequences(
  config: LlamaConfig,
  weights: Map<string, Float32Array>,
  sequences: ScoredSequence[],
  options: ScoreOptions = {},
): Promise<ScoreResult> {
  const batchSize = options.batchSize ?? 8;
  const batches: ScoredSequence[][] = [];
  for (let start = 0; start < sequences.length; start += batchSize) {
    batches.push(sequences.slice(start, start + batchSize));
  }
  if (!options.gradients) {
    const session = await ScoringSession.create(config);
    return { logprobs: await scoreBatches(session, batches, (batch) => session.score(weights, batch)) };
  }
  const session = await TrainingSession.create(config);
  const gradients = new Map<string, Float32Array>();
  const logprobs = await scoreBatches(session, batches, async (batch) => {
    const result = await session.lossAndGrads(weights, batch);
    for (const [name, grad] of result.grads) {
      const sum = gradients.get(name);
      if (sum) addInto(sum, grad);
      else gradients.set(name, Float32Array.from(grad));
    }
    return result;
  });
  return { logprobs, gradients };
}

/**
 * Runs `run` on each batch, right-padded, in order, then releases `session` (also on an error); returns the
 * log-probabilities of every sequence without the padding.
 */
async function scoreBatches(
  session: { release(): Promise<void> },
  batches: ScoredSequence[][],
  run: (batch: TrainingBatch) => Promise<{ logprobs: Float32Array }>,
): Promise<(number | null)[][]> {
  const logprobs: (number | null)[][] = [];
  try {
    for (const sequences of batches) {
      const batch = padBatch(sequences);
      logprobs.push(...unpadLogprobs((await run(batch)).logprobs, batch.seq, sequences));
    }
  } finally {
    await session.release();
  }
  return logprobs;
}

/**
 * Right-pads sequences into one batch. Position t scores token t + 1; the training loss is
 * sum(-token_weights * logp), so token weights of -loss_mask[t + 1] make it the masked log-probability sum.
 */
function padBatch(sequences: ScoredSequence[]): TrainingBatch {
  const rows = sequences.length;
  const seq = Math.max(...sequences.map((s) => s.inputIds.length));
  const inputIds = new Array<number>(rows * seq).fill(0);
  const attentionMask = new Array<number>(rows * seq).fill(0);
  const targets = new Array<number>(rows * seq).fill(0);
  const tokenWeights = new Float32Array(rows * seq);
  sequences.forEach((sequence, row) => {
    for (let t = 0; t < sequence.inputIds.length; t++) {
      const at = row * seq + t;
      inputIds[at] = sequence.inputIds[t];
      attentionMask[at] = 1;
      if (t + 1 < sequence.inputIds.length) {
        targets[at] = sequence.inputIds[t + 1];
        tokenWeights[at] = -sequence.lossMask[t + 1];
      }
    }
  });
  const zeros = new Float32Array(rows * seq);
  return {
    batch: rows,
    seq,
    inputIds,
    attentionMask,
    targets,
    tokenWeights,
    refLogprobs: zeros,
    klWeights: zeros,
  };
}

function unpadLogprobs(
  values: Float32Array,
  width: number,
  sequences: ScoredSequence[],
): (number | null)[][] {
  return sequences.map((sequence, row) => [
    null,
    ...values.subarray(row * width, row * width + sequence.inputIds.length - 1),
  ]);
}

function addInto(sum: Float32Array, values: Float32Array): void {
  for (let i = 0; i < sum.length; i++) sum[i] += values[i];
}
