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

/**
 * Dropout on the input of every LoRA path, as PEFT's `lora_dropout` (training graphs only): x A^T becomes
 * (x * mask / (1 - rate)) A^T with a fresh Bernoulli mask per module and run, drawn by onnxruntime's
 * RandomUniformLike seeded with `seed` plus the module's index.
 */
export interface LoraDropout {
  rate: number;
  seed: number;
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

/**
 * Which positions get logits: every position ([batch, seq, vocab], the optimum contract), or only the last one
 * ([batch, 1, vocab]: all that sampling reads, without the [batch, seq, vocab] prefill tensor).
 */
export type LogitPositions = "all" | "last";

/** Logits of chosen rows only: `rows` [P] int64 indexes the flattened [batch*seq] positions; logits [P, vocab]. */
export interface LogitRows {
  rows: Tensor;
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

/** Rotary cos/sin tables shaped to broadcast over keys and (pre-scaled) queries; see `rotaryTables`. */
interface RotaryTables {
  cosK: Tensor;
  sinK: Tensor;
  cosQ: Tensor;
  sinQ: Tensor;
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
    readonly loraDropout?: LoraDropout,
  ) {
    this.d = modelDims(config);
  }

  /** LoRA modules emitted so far (numbers the dropout seeds). */
  private loraModules = 0;

  /** x [rows, in] times the [out, in] weight of `name` (plus bias and LoRA when present). */
  linear(x: Tensor, name: string, bias: boolean): Tensor {
    return this.fusedLinear(x, [name], bias)[0];
  }

  /**
   * Several projections of the same input (q/k/v, gate/up) as one Gemm: the [out, in] weights are concatenated
   * along `out` inside the graph, so parameters keep their Hugging Face names while the forward pass and both
   * gradient products are single, larger matrix products; the result is split back per projection.
   */
  fusedLinear(x: Tensor, names: string[], bias: boolean): Tensor[] {
    const g = this.g;
    const joined = (suffix: string) => {
      const parts = names.map((name) => this.param(`${name}.${suffix}`));
      return parts.length === 1 ? parts[0] : g.concat(parts, 0);
    };
    const weight = joined("weight");
    const y = g.gemm(x, weight, bias ? joined("bias") : null, { transB: true });
    const sizes = names.map((name) => this.param(`${name}.weight`).shape[0] as number);
    const outputs = names.length === 1 ? [y] : g.split(y, 1, sizes);
    return outputs.map((out, i) => this.withLora(x, names[i], out));
  }

  /** Adds the LoRA update of projection `name` to its output `y` when LoRA targets that projection. */
  private withLora(x: Tensor, name: string, y: Tensor): Tensor {
    const target = name.split(".").pop() as LoraTarget;
    if (!this.lora?.targets.includes(target)) return y;
    const g = this.g;
    const names = loraNames(name);
    const down = g.gemm(this.dropout(x), this.param(names.a), null, { transB: true });
    const scale = (this.lora.alpha ?? this.lora.rank) / this.lora.rank;
    return g.add(y, g.gemm(down, this.param(names.b), null, { transB: true, alpha: scale }));
  }

  /** The LoRA path's input after dropout (see {@link LoraDropout}); x itself without dropout. */
  private dropout(x: Tensor): Tensor {
    const module = this.loraModules++;
    const rate = this.loraDropout?.rate ?? 0;
    if (rate === 0) return x;
    const g = this.g;
    const seed = { kind: "float" as const, value: this.loraDropout!.seed + module };
    const [noise] = g.node("RandomUniformLike", [x], [{ dtype: x.dtype, shape: [...x.shape] }], { seed });
    const keep = g.cast(g.less(g.scalar(rate, x.dtype), noise), x.dtype);
    return g.mul(x, g.scale(keep, 1 / (1 - rate)));
  }

  /** x / sqrt(mean(x^2) + eps) * weight, with the mean of squares as one ReduceSumSquare. */
  rmsNorm(x: Tensor, name: string): Tensor {
    const g = this.g;
    const meanSquare = g.scale(g.reduceSumSquare(x, [-1], true), 1 / this.d.hidden);
    const inverse = g.reciprocal(g.sqrt(g.add(meanSquare, g.scalar(this.config.rms_norm_eps, this.dtype))));
    return g.mul(g.mul(x, inverse), this.param(`${name}.weight`));
  }

  /**
   * Rotary tables [batch, seq, headDim] for rotate(x) = x * cos + swapHalves(x) * sin, where the sign of
   * Hugging Face's rotate_half (concat(-x2, x1)) is folded into `sin` (its first half negated). Queries get
   * tables pre-scaled by 1/sqrt(headDim), so the attention scale costs nothing per layer.
   */
  rotaryTables(positionIds: Tensor): RotaryTables {
    const g = this.g;
    const half = this.d.headDim / 2;
    const invFreq = Array.from(
      { length: half },
      (_, i) => 1 / this.config.rope_theta ** ((2 * i) / this.d.headDim),
    );
    const angles = g.mul(g.unsqueeze(g.cast(positionIds, this.dtype), [-1]), g.constant(invFreq, this.dtype));
    const sinHalf = g.sin(angles);
    const cosHalf = g.cos(angles);
    const cos = g.concat([cosHalf, cosHalf], -1);
    const sin = g.concat([g.neg(sinHalf), sinHalf], -1);
    const scale = 1 / Math.sqrt(this.d.headDim);
    // Keys are [batch, kvHeads, seq, headDim]; queries [batch, kvHeads, group, seq, headDim].
    return {
      cosK: g.unsqueeze(cos, [1]),
      sinK: g.unsqueeze(sin, [1]),
      cosQ: g.unsqueeze(g.scale(cos, scale), [1, 2]),
      sinQ: g.unsqueeze(g.scale(sin, scale), [1, 2]),
    };
  }

  /** x * cos + swapHalves(x) * sin over the last axis (see {@link rotaryTables}). */
  rotate(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
    const g = this.g;
    const { headDim } = this.d;
    const keep = x.shape.slice(0, -1).map(() => 0);
    const pairs = g.reshape(x, [...keep, 2, headDim / 2]);
    const swapped = g.reshape(g.gather(pairs, g.ints([1, 0]), -2), [...keep, headDim], [...x.shape]);
    return g.add(g.mul(x, cos), g.mul(swapped, sin));
  }

  /**
   * Additive attention mask [batch, 1, group*seq, total] matching the stacked query layout of
   * {@link attention}: 0 where allowed (causal and not padding), else -1e9.
   */
  attentionBias(inputIds: Tensor, attentionMask: Tensor): Tensor {
    const g = this.g;
    const scalarOf = (t: Tensor) => g.squeeze(t, [0]);
    const total = scalarOf(g.shape(attentionMask, 1, 2));
    const seq = scalarOf(g.shape(inputIds, 1, 2));
    const one = g.scalar(1, "int64");
    const keyPositions = g.range(g.scalar(0, "int64"), total, one);
    const queryPositions = g.range(g.sub(total, seq), total, one);
    const group = this.d.heads / this.d.kvHeads;
    const stacked = group === 1 ? queryPositions : g.concat(new Array(group).fill(queryPositions), 0);
    const causal = g.lessOrEqual(g.unsqueeze(keyPositions, [0]), g.unsqueeze(stacked, [1]));
    const notPadding = g.unsqueeze(g.cast(attentionMask, "bool"), [1, 2]);
    const allowed = g.and(causal, notPadding);
    return g.where(allowed, g.scalar(0, this.dtype), g.scalar(MASKED, this.dtype));
  }

  /** Splits [rows, n*headDim] into [batch, seq, ...groups, headDim] using the runtime batch and seq. */
  private heads(x: Tensor, batchSeq: Tensor, groups: number[]): Tensor {
    const g = this.g;
    const shape = g.concat([batchSeq, g.ints([...groups, this.d.headDim])], 0);
    return g.reshape(x, shape, ["batch", "seq", ...groups, this.d.headDim]);
  }

  /**
   * Grouped-query attention. The `group` query heads that share a key/value head are stacked along the
   * sequence axis ([batch, kvHeads, group*seq, headDim]), so scores and context are plain batched products
   * against [batch, kvHeads, total, headDim] keys and values: no broadcasting, and the key/value gradients
   * need no reduction over the group.
   */
  attention(
    h: Tensor,
    layer: number,
    batchSeq: Tensor,
    rotary: RotaryTables,
    bias: Tensor,
    past?: KeyValue,
  ): { out: Tensor; present: KeyValue } {
    const g = this.g;
    const { heads, kvHeads, headDim, qkvBias } = this.d;
    const group = heads / kvHeads;
    const p = `model.layers.${layer}.self_attn`;
    const [qFlat, kFlat, vFlat] = this.fusedLinear(h, [`${p}.q_proj`, `${p}.k_proj`, `${p}.v_proj`], qkvBias);
    const q = g.transpose(this.heads(qFlat, batchSeq, [kvHeads, group]), [0, 2, 3, 1, 4]);
    const k = g.transpose(this.heads(kFlat, batchSeq, [kvHeads]), [0, 2, 1, 3]);
    const v = g.transpose(this.heads(vFlat, batchSeq, [kvHeads]), [0, 2, 1, 3]);
    const queries = g.reshape(this.rotate(q, rotary.cosQ, rotary.sinQ), [0, 0, -1, headDim]);
    const kRot = this.rotate(k, rotary.cosK, rotary.sinK);
    const keys = past ? g.concat([past.key, kRot], 2) : kRot;
    const values = past ? g.concat([past.value, v], 2) : v;
    const scores = g.add(g.matmul(queries, g.transpose(keys, [0, 1, 3, 2])), bias);
    const context = g.matmul(g.softmax(scores, -1), values);
    const unstacked = g.reshape(context, [0, 0, group, -1, headDim]);
    const merged = g.reshape(g.transpose(unstacked, [0, 3, 1, 2, 4]), [-1, heads * headDim], [
      ROWS,
      heads * headDim,
    ]);
    return { out: this.linear(merged, `${p}.o_proj`, false), present: { key: keys, value: values } };
  }

  mlp(h: Tensor, layer: number): Tensor {
    const g = this.g;
    const p = `model.layers.${layer}.mlp`;
    const [gate, up] = this.fusedLinear(h, [`${p}.gate_proj`, `${p}.up_proj`], false);
    return this.linear(g.mul(g.mul(gate, g.sigmoid(gate)), up), `${p}.down_proj`, false);
  }

  emit(inputs: DecoderInputs, positions: LogitPositions | LogitRows): DecoderOutputs {
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
    if (typeof positions === "object") {
      // only the rows a loss or score reads: [P, hidden] -> [P, vocab], no [batch*seq, vocab] tensor
      const picked = g.gather(x, positions.rows, 0);
      return {
        logits: g.gemm(this.rmsNorm(picked, "model.norm"), this.param(head), null, { transB: true }),
        present,
      };
    }
    if (positions === "last") {
      // The last position of every row: [batch, seq, hidden] -> [batch, hidden] before the norm and the head.
      const rows3d = g.reshape(x, g.concat([batchSeq, g.ints([hidden])], 0), ["batch", "seq", hidden]);
      const last = g.reshape(g.gather(rows3d, g.ints([-1]), 1), [-1, hidden], ["batch", hidden]);
      const logits2d = g.gemm(this.rmsNorm(last, "model.norm"), this.param(head), null, { transB: true });
      return { logits: g.unsqueeze(logits2d, [1]), present };
    }
    const logits2d = g.gemm(this.rmsNorm(x, "model.norm"), this.param(head), null, { transB: true });
    const logitsShape = g.concat([batchSeq, g.ints([vocab])], 0);
    return { logits: g.reshape(logits2d, logitsShape, ["batch", "seq", vocab]), present };
  }
}

/** Options of {@link emitDecoder}. */
export interface EmitOptions {
  /** Element type of parameters and activations (default float32). */
  dtype?: DType;
  lora?: LoraOptions;
  /** Dropout on the LoRA inputs (training graphs only). */
  loraDropout?: LoraDropout;
  /** Which positions get logits (default all; with {@link LogitRows}, logits are [P, vocab]). */
  logits?: LogitPositions | LogitRows;
}

/**
 * Emits the decoder for `config` into `g` and returns its logits and present key/values.
 *
 * @example
 * ```ts ignore
 * const { logits } = emitDecoder(g, config, (name) => params.get(name)!, inputs, { logits: "last" });
 * ```
 */
export function emitDecoder(
  g: Graph,
  config: LlamaConfig,
  param: ParameterSource,
  inputs: DecoderInputs,
  options: EmitOptions = {},
): DecoderOutputs {
  return new DecoderEmitter(g, config, param, options.dtype ?? "float32", options.lora, options.loraDropout)
    .emit(inputs, options.logits ?? "all");
}

/** Hugging Face position ids for a left- or right-padded batch: cumsum(mask) - 1, and 1 at padding. */
export function positionIdsFromMask(g: Graph, attentionMask: Tensor): Tensor {
  const positions = g.sub(g.cumsum(attentionMask, 1), g.scalar(1, "int64"));
  return g.where(g.cast(attentionMask, "bool"), positions, g.scalar(1, "int64"));
}
