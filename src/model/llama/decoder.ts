/**
 * The one Llama-family model definition (llama, qwen2, mistral): emits the decoder into a {@link Graph} from a
 * config, with parameters supplied by the caller (as initializers for inference, as graph inputs for scoring
 * and training). Hidden states are kept as 2-D [rows = batch*seq, hidden] so every projection is one Gemm
 * against the Hugging Face [out, in] weight (transB), with no weight transposes.
 *
 * @module
 */
import { type LlamaConfig, type ModelDims, modelDims } from "../config.ts";
import type { DType, Graph, Tensor } from "../onnx/graph.ts";

/** Projections LoRA adapters may attach to. */
export const LORA_TARGETS = [
  "q_proj",
  "k_proj",
  "v_proj",
  "o_proj",
  "gate_proj",
  "up_proj",
  "down_proj",
] as const;
/** A projection name LoRA may target. */
export type LoraTarget = (typeof LORA_TARGETS)[number];

/** LoRA adapters: y = x W^T + (alpha / rank) * (x A^T) B^T with A [rank, in] and B [out, rank]. */
export interface LoraOptions {
  rank: number;
  /** Scaling numerator (default: rank, i.e. scale 1). */
  alpha?: number;
  targets: LoraTarget[];
}

/** Supplies the tensor for a parameter by its Hugging Face name. */
export type ParameterSource = (name: string) => Tensor;

/** The per-layer key/value cache tensors, [batch, kvHeads, length, headDim]. */
export interface KeyValue {
  key: Tensor;
  value: Tensor;
}

/** Graph inputs of the decoder. */
export interface DecoderInputs {
  /** [batch, seq] int64. */
  inputIds: Tensor;
  /** [batch, past + seq] int64, 1 for real tokens and 0 for padding. */
  attentionMask: Tensor;
  /** [batch, seq] int64. */
  positionIds: Tensor;
  /** Cached keys/values of earlier positions, one per layer (omitted: no cache). */
  past?: KeyValue[];
}

/** What the decoder emits. */
export interface DecoderOutputs {
  /** [batch, seq, vocab]. */
  logits: Tensor;
  /** Keys/values over past + seq, one per layer. */
  present: KeyValue[];
}

/** The Hugging Face names of LoRA adapter A and B for a projection. */
export function loraNames(projection: string): { a: string; b: string } {
  return { a: `${projection}.lora_A.weight`, b: `${projection}.lora_B.weight` };
}

/** Hugging Face name and shape of every LoRA adapter for a config, in a stable order. */
export function loraShapes(config: LlamaConfig, lora: LoraOptions): Map<string, number[]> {
  const d = modelDims(config);
  const sizes: Record<LoraTarget, [number, number]> = {
    q_proj: [d.heads * d.headDim, d.hidden],
    k_proj: [d.kvHeads * d.headDim, d.hidden],
    v_proj: [d.kvHeads * d.headDim, d.hidden],
    o_proj: [d.hidden, d.heads * d.headDim],
    gate_proj: [d.intermediate, d.hidden],
    up_proj: [d.intermediate, d.hidden],
    down_proj: [d.hidden, d.intermediate],
  };
  const shapes = new Map<string, number[]>();
  for (let i = 0; i < d.layers; i++) {
    for (const target of lora.targets) {
      const module = ["gate_proj", "up_proj", "down_proj"].includes(target) ? "mlp" : "self_attn";
      const [out, inp] = sizes[target];
      const names = loraNames(`model.layers.${i}.${module}.${target}`);
      shapes.set(names.a, [lora.rank, inp]);
      shapes.set(names.b, [out, lora.rank]);
    }
  }
  return shapes;
}

const ROWS = "rows";
const MASKED = -1e9;

/** Emits decoder layers into a graph; one instance per graph. */
class DecoderEmitter {
  readonly d: ModelDims;
  constructor(
    readonly g: Graph,
    readonly config: LlamaConfig,
    readonly param: ParameterSource,
    readonly dtype: DType,
    readonly lora?: LoraOptions,
  ) {
    this.d = modelDims(config);
  }

  /** x [rows, in] times the [out, in] weight of `name` (plus bias and LoRA when present). */
  linear(x: Tensor, name: string, bias: boolean): Tensor {
    const g = this.g;
    const weight = this.param(`${name}.weight`);
    let y = g.gemm(x, weight, bias ? this.param(`${name}.bias`) : null, { transB: true });
    const target = name.split(".").pop() as LoraTarget;
    if (this.lora?.targets.includes(target)) {
      const names = loraNames(name);
      const down = g.gemm(x, this.param(names.a), null, { transB: true });
      const scale = (this.lora.alpha ?? this.lora.rank) / this.lora.rank;
      y = g.add(y, g.gemm(down, this.param(names.b), null, { transB: true, alpha: scale }));
    }
    return y;
  }

  rmsNorm(x: Tensor, name: string): Tensor {
    const g = this.g;
    const variance = g.reduceMean(g.mul(x, x), [-1], true);
    const inverse = g.reciprocal(g.sqrt(g.add(variance, g.scalar(this.config.rms_norm_eps, this.dtype))));
    return g.mul(g.mul(x, inverse), this.param(`${name}.weight`));
  }

  /** cos and sin of the rotary angles, [batch, seq, headDim]. */
  rotaryTables(positionIds: Tensor): { cos: Tensor; sin: Tensor } {
    const g = this.g;
    const half = this.d.headDim / 2;
    const invFreq = Array.from(
      { length: half },
      (_, i) => 1 / this.config.rope_theta ** ((2 * i) / this.d.headDim),
    );
    const angles = g.mul(g.unsqueeze(g.cast(positionIds, this.dtype), [-1]), g.constant(invFreq, this.dtype));
    const doubled = g.concat([angles, angles], -1);
    return { cos: g.cos(doubled), sin: g.sin(doubled) };
  }

  /** x * cos + rotate_half(x) * sin, with rotate_half(x) = concat(-x2, x1) over the last axis. */
  rotate(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
    const g = this.g;
    const half = this.d.headDim / 2;
    const [x1, x2] = g.split(x, -1, [half, half]);
    return g.add(g.mul(x, cos), g.mul(g.concat([g.neg(x2), x1], -1), sin));
  }

  /** Additive attention mask [batch, 1, 1, seq, total]: 0 where allowed (causal and not padding), else -1e9. */
  attentionBias(inputIds: Tensor, attentionMask: Tensor): Tensor {
    const g = this.g;
    const scalarOf = (t: Tensor) => g.squeeze(t, [0]);
    const total = scalarOf(g.shape(attentionMask, 1, 2));
    const seq = scalarOf(g.shape(inputIds, 1, 2));
    const one = g.scalar(1, "int64");
    const keyPositions = g.range(g.scalar(0, "int64"), total, one);
    const queryPositions = g.range(g.sub(total, seq), total, one);
    const causal = g.lessOrEqual(g.unsqueeze(keyPositions, [0]), g.unsqueeze(queryPositions, [1]));
    const notPadding = g.unsqueeze(g.cast(attentionMask, "bool"), [1, 2, 3]);
    const allowed = g.and(causal, notPadding);
    return g.where(allowed, g.scalar(0, this.dtype), g.scalar(MASKED, this.dtype));
  }

  /** Splits [rows, n*headDim] into [batch, seq, ...groups, headDim] using the runtime batch and seq. */
  private heads(x: Tensor, batchSeq: Tensor, groups: number[]): Tensor {
    const g = this.g;
    const shape = g.concat([batchSeq, g.ints([...groups, this.d.headDim])], 0);
    return g.reshape(x, shape, ["batch", "seq", ...groups, this.d.headDim]);
  }

  attention(
    h: Tensor,
    layer: number,
    batchSeq: Tensor,
    rotary: { cos: Tensor; sin: Tensor },
    bias: Tensor,
    past?: KeyValue,
  ): { out: Tensor; present: KeyValue } {
    const g = this.g;
    const { heads, kvHeads, headDim, qkvBias } = this.d;
    const group = heads / kvHeads;
    const p = `model.layers.${layer}.self_attn`;
    // q: [batch, kvHeads, group, seq, headDim]; k, v: [batch, kvHeads, 1, seq, headDim] (GQA by broadcasting).
    const q = g.transpose(this.heads(this.linear(h, `${p}.q_proj`, qkvBias), batchSeq, [kvHeads, group]), [
      0,
      2,
      3,
      1,
      4,
    ]);
    const k = g.transpose(this.heads(this.linear(h, `${p}.k_proj`, qkvBias), batchSeq, [kvHeads]), [
      0,
      2,
      1,
      3,
    ]);
    const v = g.transpose(this.heads(this.linear(h, `${p}.v_proj`, qkvBias), batchSeq, [kvHeads]), [
      0,
      2,
      1,
      3,
    ]);
    const cosK = g.unsqueeze(rotary.cos, [1]);
    const sinK = g.unsqueeze(rotary.sin, [1]);
    const cosQ = g.unsqueeze(cosK, [1]);
    const sinQ = g.unsqueeze(sinK, [1]);
    const qRot = g.scale(this.rotate(q, cosQ, sinQ), 1 / Math.sqrt(headDim));
    const kRot = this.rotate(k, cosK, sinK);
    const keys = past ? g.concat([past.key, kRot], 2) : kRot;
    const values = past ? g.concat([past.value, v], 2) : v;
    const scores = g.add(g.matmul(qRot, g.transpose(g.unsqueeze(keys, [2]), [0, 1, 2, 4, 3])), bias);
    const context = g.matmul(g.softmax(scores, -1), g.unsqueeze(values, [2]));
    const merged = g.reshape(g.transpose(context, [0, 3, 1, 2, 4]), [-1, heads * headDim], [
      ROWS,
      heads * headDim,
    ]);
    return { out: this.linear(merged, `${p}.o_proj`, false), present: { key: keys, value: values } };
  }

  mlp(h: Tensor, layer: number): Tensor {
    const g = this.g;
    const p = `model.layers.${layer}.mlp`;
    const gate = this.linear(h, `${p}.gate_proj`, false);
    const up = this.linear(h, `${p}.up_proj`, false);
    return this.linear(g.mul(g.mul(gate, g.sigmoid(gate)), up), `${p}.down_proj`, false);
  }

  emit(inputs: DecoderInputs): DecoderOutputs {
    const g = this.g;
    const { hidden, vocab } = this.d;
    const batchSeq = g.shape(inputs.inputIds);
    const embedded = g.gather(this.param("model.embed_tokens.weight"), inputs.inputIds);
    let x = g.reshape(embedded, [-1, hidden], [ROWS, hidden]);
    const rotary = this.rotaryTables(inputs.positionIds);
    const bias = this.attentionBias(inputs.inputIds, inputs.attentionMask);
    const present: KeyValue[] = [];
    for (let i = 0; i < this.d.layers; i++) {
      const attn = this.attention(
        this.rmsNorm(x, `model.layers.${i}.input_layernorm`),
        i,
        batchSeq,
        rotary,
        bias,
        inputs.past?.[i],
      );
      present.push(attn.present);
      x = g.add(x, attn.out);
      x = g.add(x, this.mlp(this.rmsNorm(x, `model.layers.${i}.post_attention_layernorm`), i));
    }
    const head = this.config.tie_word_embeddings ? "model.embed_tokens.weight" : "lm_head.weight";
    const logits2d = g.gemm(this.rmsNorm(x, "model.norm"), this.param(head), null, { transB: true });
    const logitsShape = g.concat([batchSeq, g.ints([vocab])], 0);
    return { logits: g.reshape(logits2d, logitsShape, ["batch", "seq", vocab]), present };
  }
}

/** Emits the decoder for `config` into `g` and returns its logits and present key/values. */
export function emitDecoder(
  g: Graph,
  config: LlamaConfig,
  param: ParameterSource,
  inputs: DecoderInputs,
  options: { dtype?: DType; lora?: LoraOptions } = {},
): DecoderOutputs {
  return new DecoderEmitter(g, config, param, options.dtype ?? "float32", options.lora).emit(inputs);
}

/** Hugging Face position ids for a left- or right-padded batch: cumsum(mask) - 1, and 1 at padding. */
export function positionIdsFromMask(g: Graph, attentionMask: Tensor): Tensor {
  const positions = g.sub(g.cumsum(attentionMask, 1), g.scalar(1, "int64"));
  return g.where(g.cast(attentionMask, "bool"), positions, g.scalar(1, "int64"));
}
