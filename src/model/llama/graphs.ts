/**
 * The three graphs built from the one decoder definition:
 * - inference with a KV cache (the Hugging Face optimum / transformers.js contract, weights as initializers);
 * - scoring (per-token log-probabilities of given targets and the entropy; parameters as inputs);
 * - training (loss, log-probabilities and gradients; parameters, or LoRA adapters, as inputs).
 *
 * @module
 */
import { type LlamaConfig, modelDims, parameterShapes } from "../config.ts";
import { gradients } from "../onnx/autodiff.ts";
import { type DType, Graph, type SerializedModel, type Tensor } from "../onnx/graph.ts";
import {
  emitDecoder,
  type LogitPositions,
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
  const out = emitDecoder(g, config, (name) => params.get(name)!, {
    inputIds,
    attentionMask,
    positionIds,
    past,
  }, { logits: options.logits });
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
  targets: Tensor;
}

function batchInputs(g: Graph): BatchInputs {
  return {
    inputIds: g.input("input_ids", "int64", ["batch", "seq"]),
    attentionMask: g.input("attention_mask", "int64", ["batch", "seq"]),
    targets: g.input("targets", "int64", ["batch", "seq"]),
  };
}

function parameterInputs(g: Graph, shapes: Map<string, number[]>, dtype: DType): Map<string, Tensor> {
  return new Map([...shapes].map(([name, shape]) => [name, g.input(name, dtype, shape)]));
}

/** log p(targets) per position [B,S] and the full log-softmax [B,S,V]. */
function targetLogprobs(g: Graph, logits: Tensor, targets: Tensor): { logprobs: Tensor; logSoftmax: Tensor } {
  const logSoftmax = g.logSoftmax(logits, -1);
  const picked = g.gatherElements(logSoftmax, g.unsqueeze(targets, [-1]), -1);
  return { logprobs: g.squeeze(picked, [-1]), logSoftmax };
}

/** Options of the scoring and training graphs. */
export interface ParameterGraphOptions {
  /** Element type of parameters and float inputs (default float32; float64 for gradient checks). */
  dtype?: DType;
}

/**
 * Scoring graph. Inputs: every parameter under its HF name, input_ids, attention_mask, targets [B,S] int64
 * (targets[b,t] is the token whose probability is read from the logits at position t; the caller shifts).
 * Outputs: logprobs [B,S] and entropy [B,S] of the next-token distribution. Position ids come from the mask.
 */
export function buildScoringModel(config: LlamaConfig, options: ParameterGraphOptions = {}): Uint8Array {
  const dtype = options.dtype ?? "float32";
  const g = new Graph("llama_scoring");
  const params = parameterInputs(g, parameterShapes(config), dtype);
  const { inputIds, attentionMask, targets } = batchInputs(g);
  const positionIds = positionIdsFromMask(g, attentionMask);
  const { logits } = emitDecoder(g, config, (n) => params.get(n)!, { inputIds, attentionMask, positionIds }, {
    dtype,
  });
  const { logprobs, logSoftmax } = targetLogprobs(g, logits, targets);
  g.output(logprobs, "logprobs");
  g.output(g.neg(g.reduceSum(g.mul(g.exp(logSoftmax), logSoftmax), [-1])), "entropy");
  return g.toModel().onnx;
}

/** Options of {@link buildTrainingModel}. */
export interface TrainingModelOptions extends ParameterGraphOptions {
  /** Differentiate with respect to LoRA adapters only; base weights are then inputs without gradients. */
  lora?: LoraOptions;
}

/** A training graph and the names of its parameter inputs. */
export interface TrainingModel {
  onnx: Uint8Array;
  /** Base weights (HF names), inputs of the graph. */
  baseParameters: string[];
  /** Parameters that get a gradient output `grad.<name>`: all base weights, or the LoRA adapters. */
  trainableParameters: string[];
  /** Shapes of base and trainable parameters. */
  shapes: Map<string, number[]>;
}

/**
 * Training graph. Inputs: parameters, input_ids, attention_mask, targets [B,S] int64, token_weights,
 * ref_logprobs, kl_weights [B,S]. With logp the target log-probabilities and d = ref_logprobs - logp,
 *
 *   loss = sum(-token_weights * logp) + sum(kl_weights * (exp(d) - d - 1))
 *
 * where exp(d) - d - 1 is the "k3" estimator of KL(policy || reference) (Schulman): non-negative, unbiased
 * under samples of the policy, and zero when logp = ref_logprobs. Outputs: loss (scalar), logprobs [B,S] and
 * grad.<name> for every trainable parameter.
 */
export function buildTrainingModel(config: LlamaConfig, options: TrainingModelOptions = {}): TrainingModel {
  const dtype = options.dtype ?? "float32";
  const g = new Graph("llama_training");
  const baseShapes = parameterShapes(config);
  const adapterShapes = options.lora ? loraShapes(config, options.lora) : new Map<string, number[]>();
  const params = parameterInputs(g, new Map([...baseShapes, ...adapterShapes]), dtype);
  const { inputIds, attentionMask, targets } = batchInputs(g);
  const tokenWeights = g.input("token_weights", dtype, ["batch", "seq"]);
  const refLogprobs = g.input("ref_logprobs", dtype, ["batch", "seq"]);
  const klWeights = g.input("kl_weights", dtype, ["batch", "seq"]);
  const positionIds = positionIdsFromMask(g, attentionMask);
  const { logits } = emitDecoder(g, config, (n) => params.get(n)!, { inputIds, attentionMask, positionIds }, {
    dtype,
    lora: options.lora,
  });
  const { logprobs } = targetLogprobs(g, logits, targets);
  const diff = g.sub(refLogprobs, logprobs);
  const k3 = g.sub(g.sub(g.exp(diff), diff), g.scalar(1, dtype));
  const perToken = g.add(g.neg(g.mul(tokenWeights, logprobs)), g.mul(klWeights, k3));
  const loss = g.output(g.reduceSum(perToken, [0, 1]), "loss");
  g.output(logprobs, "logprobs");
  const trainable = options.lora ? [...adapterShapes.keys()] : [...baseShapes.keys()];
  gradients(g, loss, trainable.map((n) => params.get(n)!)).forEach((grad, i) =>
    g.output(grad, `grad.${trainable[i]}`)
  );
  return {
    onnx: g.toModel().onnx,
    baseParameters: [...baseShapes.keys()],
    trainableParameters: trainable,
    shapes: new Map([...baseShapes, ...adapterShapes]),
  };
}
