/**
 * The three graphs built from the one decoder definition:
 * - inference with a KV cache (the Hugging Face optimum / transformers.js contract, weights as initializers);
 * - scoring (per-token log-probabilities of given targets and the entropy; parameters as inputs, or frozen
 *   base weights baked in with LoRA adapters as inputs);
 * - training (loss, log-probabilities and gradients; parameters, or LoRA adapters, as inputs).
 *
 * With LoRA, the inference graph too takes the adapters as inputs over its baked-in base weights, so a step
 * builds each graph once and feeds the current adapters on every run.
 *
 * @module
 */
import { type LlamaConfig, modelDims, parameterShapes } from "../config.ts";
import { gradients } from "../onnx/autodiff.ts";
import { type DType, Graph, type SerializedModel, type Tensor } from "../onnx/graph.ts";
import {
  emitDecoder,
  type LogitPositions,
  type LoraDropout,
  type LoraOptions,
  loraShapes,
  positionIdsFromMask,
} from "./decoder.ts";

/** Options of {@link buildInferenceModel}. */
export interface InferenceModelOptions {
  /** Weights of at least this many bytes go to an external data file (default 16 MiB; Infinity: none). */
  externalThresholdBytes?: number;
  /** Name of the external data file next to the model (default `model.onnx_data`). */
  externalDataFile?: string;
  /** LoRA adapters as extra graph inputs (HF names `<module>.lora_A.weight`), over the baked-in weights. */
  lora?: LoraOptions;
  /**
   * Logits of every position (default; what transformers.js and `model score` read) or of the last one only,
   * [B,1,V] (enough for generation, without the [B,S,V] prefill tensor).
   */
  logits?: LogitPositions;
}

/**
 * Inference graph with KV cache. Inputs: input_ids [B,S], attention_mask [B,P+S], position_ids [B,S] (int64),
 * past_key_values.N.key/.value [B,kvHeads,P,headDim] (float32). Outputs: logits [B,S,V] ([B,1,V] with `logits: "last"`) and
 * present.N.key/.value [B,kvHeads,P+S,headDim]. Weights (HF names) are initializers; all must be present.
 */
export function buildInferenceModel(
  config: LlamaConfig,
  weights: Map<string, Float32Array>,
  options: InferenceModelOptions = {},
): SerializedModel {
  const d = modelDims(config);
  const g = new Graph("llama_inference");
  const inputIds = g.input("input_ids", "int64", ["batch", "seq"]);
  const attentionMask = g.input("attention_mask", "int64", ["batch", "total"]);
  const positionIds = g.input("position_ids", "int64", ["batch", "seq"]);
  const past = Array.from({ length: d.layers }, (_, i) => ({
    key: g.input(`past_key_values.${i}.key`, "float32", ["batch", d.kvHeads, "past", d.headDim]),
    value: g.input(`past_key_values.${i}.value`, "float32", ["batch", d.kvHeads, "past", d.headDim]),
  }));
  const params = new Map<string, Tensor>();
  for (const [name, shape] of parameterShapes(config)) {
    const data = weights.get(name);
    if (!data) throw new Error(`buildInferenceModel: weight "${name}" is missing`);
    params.set(name, g.initializer(name, "float32", shape, data));
  }
  if (options.lora) {
    for (const [name, shape] of loraShapes(config, options.lora)) {
      params.set(name, g.input(name, "float32", shape));
    }
  }
  const out = emitDecoder(g, config, (name) => params.get(name)!, {
    inputIds,
    attentionMask,
    positionIds,
    past,
  }, { logits: options.logits, lora: options.lora });
  g.output(out.logits, "logits");
  out.present.forEach((kv, i) => {
    g.output(kv.key, `present.${i}.key`);
    g.output(kv.value, `present.${i}.value`);
  });
  return g.toModel({
    externalThresholdBytes: options.externalThresholdBytes ?? 16 * 1024 * 1024,
    externalDataFile: options.externalDataFile,
    metadata: { model_type: config.model_type },
  });
}

/** Graph inputs shared by the scoring and training graphs. */
interface BatchInputs {
  inputIds: Tensor;
  attentionMask: Tensor;
  /** [P] int64: the flattened [batch*seq] positions that get logits (loss or score positions). */
  positions: Tensor;
  /** [P] int64: the target token of each of those positions. */
  targets: Tensor;
}

function batchInputs(g: Graph): BatchInputs {
  const positions = g.input("positions", "int64", ["positions"]);
  const targets = g.input("targets", "int64", ["batch", "seq"]);
  return {
    inputIds: g.input("input_ids", "int64", ["batch", "seq"]),
    attentionMask: g.input("attention_mask", "int64", ["batch", "seq"]),
    positions,
    targets: atPositions(g, targets, positions),
  };
}

/** The values of a [batch, seq] tensor at the flattened positions, [P]. */
function atPositions(g: Graph, values: Tensor, positions: Tensor): Tensor {
  return g.gather(g.reshape(values, [-1]), positions, 0);
}

/**
 * The parameter tensors of a graph: names found in `frozen` become initializers (baked in once, no gradient,
 * nothing to feed per run), every other name a graph input.
 */
function parameterTensors(
  g: Graph,
  shapes: Map<string, number[]>,
  dtype: DType,
  frozen?: ReadonlyMap<string, Float32Array>,
): Map<string, Tensor> {
  return new Map([...shapes].map(([name, shape]) => {
    const data = frozen?.get(name);
    if (frozen && !data && !name.includes(".lora_")) {
      throw new Error(`graph: frozen weight "${name}" is missing; pass every base weight of the config`);
    }
    if (!data) return [name, g.input(name, dtype, shape)];
    return [name, g.initializer(name, dtype, shape, dtype === "float64" ? Float64Array.from(data) : data)];
  }));
}

/** Frozen weights go to external data (a graph's protobuf is limited to 2 GiB). */
const FROZEN_EXTERNAL_THRESHOLD_BYTES = 1024 * 1024;

function serialize(g: Graph, frozen: boolean): SerializedModel {
  return g.toModel({ externalThresholdBytes: frozen ? FROZEN_EXTERNAL_THRESHOLD_BYTES : Infinity });
}

/** log p(targets) per scored position [P] and the log-softmax [P,V] of those positions. */
function targetLogprobs(g: Graph, logits: Tensor, targets: Tensor): { logprobs: Tensor; logSoftmax: Tensor } {
  const logSoftmax = g.logSoftmax(logits, -1);
  const picked = g.gatherElements(logSoftmax, g.unsqueeze(targets, [-1]), -1);
  return { logprobs: g.squeeze(picked, [-1]), logSoftmax };
}

/** Options of the scoring and training graphs. */
export interface ParameterGraphOptions {
  /** Element type of parameters and float inputs (default float32; float64 for gradient checks). */
  dtype?: DType;
  /**
   * Base weights to bake into the graph as initializers (in external data): built once per step, they are
   * neither fed per run nor differentiated. Without it every base weight is a graph input.
   */
  frozen?: ReadonlyMap<string, Float32Array>;
  /** LoRA adapters on the base weights; the adapters are always graph inputs. */
  lora?: LoraOptions;
}

/**
 * Scoring graph. Inputs: every parameter under its HF name, input_ids, attention_mask, targets [B,S] int64
 * (targets[b,t] is the token whose probability is read from the logits at position t; the caller shifts),
 * positions [P] int64 (the flattened b*S+t positions to score: logits exist for those only). Outputs: logprobs
 * [P] and entropy [P] of the next-token distribution there. Position ids come from the mask.
 */
export function buildScoringModel(config: LlamaConfig, options: ParameterGraphOptions = {}): SerializedModel {
  const dtype = options.dtype ?? "float32";
  const g = new Graph("llama_scoring");
  const adapterShapes = options.lora ? loraShapes(config, options.lora) : new Map<string, number[]>();
  const params = parameterTensors(
    g,
    new Map([...parameterShapes(config), ...adapterShapes]),
    dtype,
    options.frozen,
  );
  const { inputIds, attentionMask, positions, targets } = batchInputs(g);
  const positionIds = positionIdsFromMask(g, attentionMask);
  const { logits } = emitDecoder(g, config, (n) => params.get(n)!, { inputIds, attentionMask, positionIds }, {
    dtype,
    lora: options.lora,
    logits: { rows: positions },
  });
  const { logprobs, logSoftmax } = targetLogprobs(g, logits, targets);
  g.output(logprobs, "logprobs");
  g.output(g.neg(g.reduceSum(g.mul(g.exp(logSoftmax), logSoftmax), [-1])), "entropy");
  return serialize(g, options.frozen !== undefined);
}

/**
 * Options of {@link buildTrainingModel}. With `lora`, only the adapters are differentiated; base weights are
 * inputs without gradients, or initializers with `frozen`.
 */
export interface TrainingModelOptions extends ParameterGraphOptions {
  /** Dropout on the LoRA inputs (PEFT's lora_dropout). */
  loraDropout?: LoraDropout;
  /**
   * With LoRA: the reference is the base model itself, so its log-probabilities are computed in this graph
   * (a second forward pass over the same weights, without adapters) instead of being an input; output
   * `ref_logprobs` [P]. Saves the separate scoring graph's copy of the weights.
   */
  baseReference?: boolean;
}

/** A training graph and the names of its parameter inputs. */
export interface TrainingModel extends SerializedModel {
  /** Base weights (HF names) the graph reads: inputs, or initializers when frozen. */
  baseParameters: string[];
  /** Parameters that get a gradient output `grad.<name>`: all base weights, or the LoRA adapters. */
  trainableParameters: string[];
  /** Shapes of base and trainable parameters. */
  shapes: Map<string, number[]>;
}

/**
 * Training graph. Inputs: parameters, input_ids, attention_mask, targets [B,S] int64, token_weights,
 * ref_logprobs, kl_weights [B,S], positions [P] int64 (the flattened positions with a weight: logits exist for
 * those only). With logp the target log-probabilities at those positions and d = ref_logprobs - logp,
 *
 *   loss = sum(-token_weights * logp) + sum(kl_weights * (exp(d) - d - 1))
 *
 * where exp(d) - d - 1 is the "k3" estimator of KL(policy || reference) (Schulman): non-negative, unbiased
 * under samples of the policy, and zero when logp = ref_logprobs. Outputs: loss (scalar), logprobs [P] and
 * grad.<name> for every trainable parameter.
 */
export function buildTrainingModel(config: LlamaConfig, options: TrainingModelOptions = {}): TrainingModel {
  const dtype = options.dtype ?? "float32";
  const g = new Graph("llama_training");
  const baseShapes = parameterShapes(config);
  const adapterShapes = options.lora ? loraShapes(config, options.lora) : new Map<string, number[]>();
  const params = parameterTensors(g, new Map([...baseShapes, ...adapterShapes]), dtype, options.frozen);
  const { inputIds, attentionMask, positions, targets } = batchInputs(g);
  const perPosition = (name: string) => atPositions(g, g.input(name, dtype, ["batch", "seq"]), positions);
  if (options.baseReference && !options.lora) {
    throw new Error("buildTrainingModel: baseReference needs LoRA (without adapters the policy is the base)");
  }
  const tokenWeights = perPosition("token_weights");
  const klWeights = perPosition("kl_weights");
  const positionIds = positionIdsFromMask(g, attentionMask);
  const decoderInputs = { inputIds, attentionMask, positionIds };
  const { logits } = emitDecoder(g, config, (n) => params.get(n)!, decoderInputs, {
    dtype,
    lora: options.lora,
    loraDropout: options.loraDropout,
    logits: { rows: positions },
  });
  const { logprobs } = targetLogprobs(g, logits, targets);
  let refLogprobs: Tensor;
  if (options.baseReference) {
    const base = emitDecoder(g, config, (n) => params.get(n)!, decoderInputs, {
      dtype,
      logits: { rows: positions },
    });
    // where no KL weight applies, a far-negative reference keeps exp(ref - logp) at 0 (see gradients.ts)
    const unweighted = g.equal(klWeights, g.scalar(0, dtype));
    refLogprobs = g.where(
      unweighted,
      g.scalar(-1e4, dtype),
      targetLogprobs(g, base.logits, targets).logprobs,
    );
    g.output(refLogprobs, "ref_logprobs");
  } else {
    refLogprobs = perPosition("ref_logprobs");
  }
  const diff = g.sub(refLogprobs, logprobs);
  const k3 = g.sub(g.sub(g.exp(diff), diff), g.scalar(1, dtype));
  const perToken = g.add(g.neg(g.mul(tokenWeights, logprobs)), g.mul(klWeights, k3));
  const loss = g.output(g.reduceSum(perToken, [0]), "loss");
  g.output(logprobs, "logprobs");
  const trainable = options.lora ? [...adapterShapes.keys()] : [...baseShapes.keys()];
  gradients(g, loss, trainable.map((n) => params.get(n)!)).forEach((grad, i) =>
    g.output(grad, `grad.${trainable[i]}`)
  );
  return {
    ...serialize(g, options.frozen !== undefined),
    baseParameters: [...baseShapes.keys()],
    trainableParameters: trainable,
    shapes: new Map([...baseShapes, ...adapterShapes]),
  };
}
