/**
 * Sessions over the scoring and training graphs: feed parameters (Map<HF name, Float32Array>) and a padded
 * batch, get log-probabilities, entropies, the loss and gradients back as plain typed arrays.
 *
 * @module
 */
import * as ort from "onnxruntime-node";
import { type LlamaConfig, parameterShapes } from "../config.ts";
import { createSession, type Session, type SessionOptions } from "../runtime.ts";
import type { LoraOptions } from "./decoder.ts";
import { buildScoringModel, buildTrainingModel } from "./graphs.ts";

/** A padded batch of token sequences, row-major [batch, seq]. */
export interface TokenBatch {
  batch: number;
  seq: number;
  inputIds: ArrayLike<number>;
  /** 1 for real tokens, 0 for padding. */
  attentionMask: ArrayLike<number>;
  /** targets[b,t]: the token scored at position t (usually inputIds[b,t+1]; any valid id where unused). */
  targets: ArrayLike<number>;
}

/** A training batch: tokens plus per-token loss weights, reference log-probs and KL weights, [batch, seq]. */
export interface TrainingBatch extends TokenBatch {
  tokenWeights: Float32Array;
  refLogprobs: Float32Array;
  klWeights: Float32Array;
}

/** Options shared by the sessions: provider, intra-op threads and spinning (see {@link SessionOptions}). */
export type ModelSessionOptions = Pick<SessionOptions, "provider" | "threads" | "spinning">;

function int64(values: ArrayLike<number>, dims: number[]): ort.Tensor {
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i]);
  return new ort.Tensor("int64", data, dims);
}

function checkBatch(batch: TokenBatch): void {
  const size = batch.batch * batch.seq;
  for (const key of ["inputIds", "attentionMask", "targets"] as const) {
    if (batch[key].length !== size) {
      throw new Error(`batch: ${key} has ${batch[key].length} values, expected batch*seq = ${size}`);
    }
  }
}

function tokenFeeds(batch: TokenBatch): Record<string, ort.Tensor> {
  checkBatch(batch);
  const dims = [batch.batch, batch.seq];
  return {
    input_ids: int64(batch.inputIds, dims),
    attention_mask: int64(batch.attentionMask, dims),
    targets: int64(batch.targets, dims),
  };
}

function parameterFeeds(
  names: string[],
  shapes: Map<string, number[]>,
  params: Map<string, Float32Array>,
): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of names) {
    const data = params.get(name);
    const shape = shapes.get(name)!;
    const size = shape.reduce((a, b) => a * b, 1);
    if (!data) throw new Error(`parameters: "${name}" is missing`);
    if (data.length !== size) {
      throw new Error(`parameters: "${name}" has ${data.length} values, shape [${shape}]`);
    }
    feeds[name] = new ort.Tensor("float32", data, shape);
  }
  return feeds;
}

/** Scores target tokens under a model whose parameters are passed on every call. */
export class ScoringSession {
  private constructor(
    private readonly session: Session,
    private readonly shapes: Map<string, number[]>,
  ) {}

  /** Builds the scoring graph for `config` and loads it. */
  static async create(config: LlamaConfig, options: ModelSessionOptions = {}): Promise<ScoringSession> {
    return new ScoringSession(
      await createSession(buildScoringModel(config), options),
      parameterShapes(config),
    );
  }

  /** Per-token log-probabilities of the targets and entropies of the predicted distributions, [batch*seq]. */
  async score(
    params: Map<string, Float32Array>,
    batch: TokenBatch,
  ): Promise<{ logprobs: Float32Array; entropy: Float32Array }> {
    const feeds = { ...parameterFeeds([...this.shapes.keys()], this.shapes, params), ...tokenFeeds(batch) };
    const out = await this.session.run(feeds);
    return { logprobs: out.logprobs.data as Float32Array, entropy: out.entropy.data as Float32Array };
  }

  /** Frees the native session. */
  release(): Promise<void> {
    return this.session.release();
  }
}

/** Result of one forward+backward pass. */
export interface LossAndGrads {
  loss: number;
  /** [batch*seq] log-probabilities of the targets. */
  logprobs: Float32Array;
  /** Gradient of the loss for every trainable parameter, by name. */
  grads: Map<string, Float32Array>;
}

/** Computes the training loss and its gradients; parameters are inputs, so updates never rebuild the graph. */
export class TrainingSession {
  private constructor(
    private readonly session: Session,
    /** Base weights the graph reads (HF names). */
    readonly baseParameters: string[],
    /** Parameters that get gradients: all base weights, or the LoRA adapters. */
    readonly trainableParameters: string[],
    /** Shape of every parameter input. */
    readonly shapes: Map<string, number[]>,
  ) {}

  /** Builds the training graph (full or LoRA) for `config` and loads it. */
  static async create(
    config: LlamaConfig,
    options: ModelSessionOptions & { lora?: LoraOptions } = {},
  ): Promise<TrainingSession> {
    const model = buildTrainingModel(config, { lora: options.lora });
    const session = await createSession(model.onnx, options);
    return new TrainingSession(session, model.baseParameters, model.trainableParameters, model.shapes);
  }

  /** One forward and backward pass. `params` holds base weights and, with LoRA, the adapters. */
  async lossAndGrads(params: Map<string, Float32Array>, batch: TrainingBatch): Promise<LossAndGrads> {
    const dims = [batch.batch, batch.seq];
    const names = [...new Set([...this.baseParameters, ...this.trainableParameters])];
    const feeds: Record<string, ort.Tensor> = {
      ...parameterFeeds(names, this.shapes, params),
      ...tokenFeeds(batch),
      token_weights: new ort.Tensor("float32", batch.tokenWeights, dims),
      ref_logprobs: new ort.Tensor("float32", batch.refLogprobs, dims),
      kl_weights: new ort.Tensor("float32", batch.klWeights, dims),
    };
    const out = await this.session.run(feeds);
    const grads = new Map(this.trainableParameters.map((n) => [n, out[`grad.${n}`].data as Float32Array]));
    return { loss: Number(out.loss.data[0]), logprobs: out.logprobs.data as Float32Array, grads };
  }

  /** Frees the native session. */
  release(): Promise<void> {
    return this.session.release();
  }
}
