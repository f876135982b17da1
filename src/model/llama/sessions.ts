/**
 * Sessions over the scoring and training graphs: feed parameters (Map<HF name, Float32Array>) and a padded
 * batch, get log-probabilities, entropies, the loss and gradients back as plain typed arrays.
 *
 * @module
 */
import * as ort from "onnxruntime-node";
import { join } from "node:path";
import { type LlamaConfig, parameterShapes } from "../config.ts";
import type { SerializedModel } from "../onnx/graph.ts";
import { createSession, type Session, type SessionOptions } from "../runtime.ts";
import { type LoraDropout, type LoraOptions, loraShapes } from "./decoder.ts";
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
  /**
   * The flattened positions b*seq+t to score (logits are computed there only); scoring defaults to every
   * position with attention_mask 1. Results elsewhere are 0.
   */
  positions?: ArrayLike<number>;
}

/** A training batch: tokens plus per-token loss weights, reference log-probs and KL weights, [batch, seq]. */
export interface TrainingBatch extends TokenBatch {
  tokenWeights: Float32Array;
  refLogprobs: Float32Array;
  klWeights: Float32Array;
}

/** Options shared by the sessions: provider, intra-op threads and spinning (see {@link SessionOptions}). */
export type ModelSessionOptions = Pick<SessionOptions, "provider" | "threads" | "spinning">;

/** What a scoring or training graph is built from besides the config. */
export interface GraphChoice {
  /** LoRA adapters (graph inputs, and with training the only trainable parameters). */
  lora?: LoraOptions;
  /**
   * Base weights baked into the graph once (initializers in external data) instead of fed on every run; the
   * parameters passed per run are then only the adapters.
   */
  frozen?: ReadonlyMap<string, Float32Array>;
  /** Where a graph with external data is written (default: a temporary directory removed on release). */
  graphDir?: string;
}

/** Options of {@link TrainingSession.create}. */
export interface TrainingGraphChoice extends GraphChoice {
  /** Dropout on the LoRA inputs (training only). */
  loraDropout?: LoraDropout;
  /** With LoRA and frozen weights: score the reference (the base itself) inside the training graph. */
  baseReference?: boolean;
}

/** A loaded graph and the directory to remove when it is released. */
interface LoadedGraph {
  session: Session;
  temporaryDir?: string;
}

/** Loads a serialized graph: from memory, or through files when its weights are in external data. */
async function loadGraph(
  model: SerializedModel,
  options: ModelSessionOptions,
  graphDir: string | undefined,
): Promise<LoadedGraph> {
  if (!model.externalData) return { session: await createSession(model.onnx, options) };
  const dir = graphDir ?? await Deno.makeTempDir({ prefix: "score_graph_" });
  await Deno.mkdir(dir, { recursive: true });
  const path = join(dir, "model.onnx");
  await Deno.writeFile(path, model.onnx);
  await Deno.writeFile(join(dir, model.externalData.file), model.externalData.bytes);
  return { session: await createSession(path, options), temporaryDir: graphDir ? undefined : dir };
}

async function releaseGraph(graph: LoadedGraph): Promise<void> {
  await graph.session.release();
  if (graph.temporaryDir) await Deno.remove(graph.temporaryDir, { recursive: true });
}

/** The parameter names a session takes as inputs (base weights unless frozen, and adapters). */
function parameterInputNames(session: Session, shapes: Map<string, number[]>): string[] {
  return session.inputNames.filter((name) => shapes.has(name));
}

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

function tokenFeeds(batch: TokenBatch, positions: number[]): Record<string, ort.Tensor> {
  checkBatch(batch);
  const dims = [batch.batch, batch.seq];
  return {
    input_ids: int64(batch.inputIds, dims),
    attention_mask: int64(batch.attentionMask, dims),
    targets: int64(batch.targets, dims),
    positions: int64(positions, [positions.length]),
  };
}

/** Positions where `keep` holds; position 0 when none does (its weights are 0, so it adds nothing). */
function positionsWhere(size: number, keep: (i: number) => boolean): number[] {
  const positions: number[] = [];
  for (let i = 0; i < size; i++) if (keep(i)) positions.push(i);
  return positions.length > 0 ? positions : [0];
}

/** Spreads per-position values back over [batch*seq] (0 where not computed). */
function scatter(values: Float32Array, positions: readonly number[], size: number): Float32Array {
  const out = new Float32Array(size);
  positions.forEach((position, i) => (out[position] = values[i]));
  return out;
}

function parameterFeeds(
  names: readonly string[],
  shapes: Map<string, number[]>,
  params: ReadonlyMap<string, Float32Array>,
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

/**
 * Scores target tokens under a model whose parameters are passed on every call (or, with `frozen`, baked in:
 * then only LoRA adapters, if any, are passed).
 */
export class ScoringSession {
  private constructor(
    private readonly graph: LoadedGraph,
    private readonly shapes: Map<string, number[]>,
    /** Parameters fed on every call. */
    readonly inputParameters: string[],
  ) {}

  /** Builds the scoring graph for `config` and loads it. */
  static async create(
    config: LlamaConfig,
    options: ModelSessionOptions & GraphChoice = {},
  ): Promise<ScoringSession> {
    const model = buildScoringModel(config, { lora: options.lora, frozen: options.frozen });
    const graph = await loadGraph(model, options, options.graphDir);
    const shapes = new Map([
      ...parameterShapes(config),
      ...(options.lora ? loraShapes(config, options.lora) : []),
    ]);
    return new ScoringSession(graph, shapes, parameterInputNames(graph.session, shapes));
  }

  /**
   * Per-token log-probabilities of the targets and entropies of the predicted distributions, [batch*seq] (0
   * outside `batch.positions`).
   */
  async score(
    params: ReadonlyMap<string, Float32Array>,
    batch: TokenBatch,
  ): Promise<{ logprobs: Float32Array; entropy: Float32Array }> {
    const size = batch.batch * batch.seq;
    const positions = batch.positions
      ? Array.from(batch.positions)
      : positionsWhere(size, (i) => batch.attentionMask[i] !== 0);
    const feeds = {
      ...parameterFeeds(this.inputParameters, this.shapes, params),
      ...tokenFeeds(batch, positions),
    };
    const out = await this.graph.session.run(feeds);
    return {
      logprobs: scatter(out.logprobs.data as Float32Array, positions, size),
      entropy: scatter(out.entropy.data as Float32Array, positions, size),
    };
  }

  /** Frees the native session (and its temporary graph files). */
  release(): Promise<void> {
    return releaseGraph(this.graph);
  }
}

/** Result of one forward+backward pass. */
export interface LossAndGrads {
  loss: number;
  /** [batch*seq] log-probabilities of the targets (0 where no weight applies, unless `positions` says). */
  logprobs: Float32Array;
  /** Gradient of the loss for every trainable parameter, by name. */
  grads: Map<string, Float32Array>;
  /** [batch*seq] the reference's log-probabilities, when the graph scores the reference itself. */
  refLogprobs?: Float32Array;
}

/**
 * Computes the training loss and its gradients; parameters are inputs (or frozen initializers with LoRA
 * adapters as inputs), so updates never rebuild the graph.
 */
export class TrainingSession {
  private constructor(
    private readonly graph: LoadedGraph,
    /** Base weights the graph reads (HF names). */
    readonly baseParameters: string[],
    /** Parameters that get gradients: all base weights, or the LoRA adapters. */
    readonly trainableParameters: string[],
    /** Shape of every parameter input. */
    readonly shapes: Map<string, number[]>,
    /** Parameters fed on every run: base weights unless frozen, and the adapters. */
    readonly inputParameters: string[],
  ) {}

  /** Builds the training graph (full or LoRA, base weights fed or frozen) for `config` and loads it. */
  static async create(
    config: LlamaConfig,
    options: ModelSessionOptions & TrainingGraphChoice = {},
  ): Promise<TrainingSession> {
    const model = buildTrainingModel(config, {
      lora: options.lora,
      frozen: options.frozen,
      loraDropout: options.loraDropout,
      baseReference: options.baseReference,
    });
    const graph = await loadGraph(model, options, options.graphDir);
    return new TrainingSession(
      graph,
      model.baseParameters,
      model.trainableParameters,
      model.shapes,
      parameterInputNames(graph.session, model.shapes),
    );
  }

  /**
   * One forward and backward pass. `params` holds the graph's parameter inputs: base weights (unless frozen)
   * and, with LoRA, the adapters.
   */
  async lossAndGrads(params: ReadonlyMap<string, Float32Array>, batch: TrainingBatch): Promise<LossAndGrads> {
    const dims = [batch.batch, batch.seq];
    const size = batch.batch * batch.seq;
    // logits only where a weight reads them (the completions), not over prompts and padding
    const positions = batch.positions
      ? Array.from(batch.positions)
      : positionsWhere(size, (i) => batch.tokenWeights[i] !== 0 || batch.klWeights[i] !== 0);
    const feeds: Record<string, ort.Tensor> = {
      ...parameterFeeds(this.inputParameters, this.shapes, params),
      ...tokenFeeds(batch, positions),
      token_weights: new ort.Tensor("float32", batch.tokenWeights, dims),
      kl_weights: new ort.Tensor("float32", batch.klWeights, dims),
    };
    if (!this.scoresReference) feeds.ref_logprobs = new ort.Tensor("float32", batch.refLogprobs, dims);
    const out = await this.graph.session.run(feeds);
    const grads = new Map(this.trainableParameters.map((n) => [n, out[`grad.${n}`].data as Float32Array]));
    const logprobs = scatter(out.logprobs.data as Float32Array, positions, size);
    const result: LossAndGrads = { loss: Number(out.loss.data[0]), logprobs, grads };
    if (this.scoresReference) {
      result.refLogprobs = scatter(out.ref_logprobs.data as Float32Array, positions, size);
    }
    return result;
  }

  /** True when the graph scores the reference (the base) itself: `refLogprobs` are then not read. */
  get scoresReference(): boolean {
    return !this.graph.session.inputNames.includes("ref_logprobs");
  }

  /** Frees the native session (and its temporary graph files). */
  release(): Promise<void> {
    return releaseGraph(this.graph);
  }
}
