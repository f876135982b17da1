/**
 * Scores token sequences with a model: the log-probability of every token given the ones before it, and
 * optionally the gradient of the sum of masked log-probabilities with respect to every parameter. Runs the
 * scoring and training graphs of `llama/graphs.ts` in batches, right-padded.
 *
 * @module
 */
import { type LlamaConfig, parameterShapes } from "./config.ts";
import { buildScoringModel, buildTrainingModel } from "./llama/graphs.ts";
import { createSession, float32Tensor, int64Tensor, type OrtTensor, type Session } from "./runtime.ts";

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
  const training = options.gradients ? buildTrainingModel(config) : null;
  const session = await createSession(training ? training.onnx : buildScoringModel(config));
  const feeds = parameterFeeds(config, weights, training?.shapes);
  const logprobs: (number | null)[][] = [];
  const gradients = training
    ? new Map(training.trainableParameters.map((n) => [n, zerosLike(weights, n)]))
    : null;
  for (let start = 0; start < sequences.length; start += batchSize) {
    const batch = sequences.slice(start, start + batchSize);
    const outputs = await runBatch(session, feeds, batch, training !== null);
    logprobs.push(...unpadLogprobs(outputs.logprobs, batch));
    if (gradients) {
      for (const [name, sum] of gradients) addInto(sum, outputs[`grad.${name}`].data as Float32Array);
    }
  }
  return gradients ? { logprobs, gradients } : { logprobs };
}

function parameterFeeds(
  config: LlamaConfig,
  weights: Map<string, Float32Array>,
  shapes?: Map<string, number[]>,
): Record<string, OrtTensor> {
  const feeds: Record<string, OrtTensor> = {};
  for (const [name, shape] of shapes ?? parameterShapes(config)) {
    const data = weights.get(name);
    if (!data) throw new Error(`score: the weights lack tensor "${name}"`);
    feeds[name] = float32Tensor(data, shape);
  }
  return feeds;
}

async function runBatch(
  session: Session,
  parameters: Record<string, OrtTensor>,
  batch: ScoredSequence[],
  withGradients: boolean,
): Promise<Record<string, OrtTensor>> {
  const rows = batch.length;
  const width = Math.max(...batch.map((s) => s.inputIds.length));
  const ids = new Array<number>(rows * width).fill(0);
  const mask = new Array<number>(rows * width).fill(0);
  const targets = new Array<number>(rows * width).fill(0);
  const tokenWeights = new Float32Array(rows * width);
  batch.forEach((sequence, row) => {
    const { inputIds, lossMask } = sequence;
    for (let t = 0; t < inputIds.length; t++) {
      ids[row * width + t] = inputIds[t];
      mask[row * width + t] = 1;
      if (t + 1 < inputIds.length) {
        targets[row * width + t] = inputIds[t + 1];
        // The training graph's loss is sum(-token_weights * logp): weights of -mask make it the masked logprob sum.
        tokenWeights[row * width + t] = -lossMask[t + 1];
      }
    }
  });
  const dims = [rows, width];
  const feeds: Record<string, OrtTensor> = {
    ...parameters,
    input_ids: int64Tensor(ids, dims),
    attention_mask: int64Tensor(mask, dims),
    targets: int64Tensor(targets, dims),
  };
  if (withGradients) {
    feeds.token_weights = float32Tensor(tokenWeights, dims);
    feeds.ref_logprobs = float32Tensor(new Float32Array(rows * width), dims);
    feeds.kl_weights = float32Tensor(new Float32Array(rows * width), dims);
  }
  return await session.run(feeds);
}

function unpadLogprobs(tensor: OrtTensor, batch: ScoredSequence[]): (number | null)[][] {
  const values = tensor.data as Float32Array;
  const width = tensor.dims[1];
  return batch.map((sequence, row) => {
    const predicted = Array.from(values.subarray(row * width, row * width + sequence.inputIds.length - 1));
    return [null, ...predicted];
  });
}

function zerosLike(weights: Map<string, Float32Array>, name: string): Float32Array {
  return new Float32Array(weights.get(name)?.length ?? 0);
}

function addInto(sum: Float32Array, values: Float32Array): void {
  for (let i = 0; i < sum.length; i++) sum[i] += values[i];
}
