/**
 * A small typed ONNX graph builder. Each op method appends a node and returns a symbolic {@link Tensor} whose
 * dtype and shape (numbers, symbolic names, or `?n` for sizes only known at run time) are inferred here, so
 * shape errors surface while the graph is built rather than inside onnxruntime.
 *
 * @module
 */
import {
  ATTRIBUTE_TYPE,
  type AttributeProtoObject,
  DATA_TYPE,
  encodeModel,
  type ModelProtoObject,
  type TensorProtoObject,
  type ValueInfoObject,
} from "./proto.ts";
import { concatBytes } from "../../util/bytes.ts";

/** Element types the builder knows. */
export type DType = "float32" | "float64" | "int64" | "int32" | "bool";
/** A dimension: a fixed size, or a symbolic name (inputs) / `?n` (unknown until run time). */
export type Dim = number | string;

/** A symbolic tensor in a {@link Graph}. */
export interface Tensor {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly Dim[];
}

/** A typed node attribute. */
export type Attr =
  | { kind: "int"; value: number }
  | { kind: "float"; value: number }
  | { kind: "string"; value: string }
  | { kind: "ints"; value: number[] }
  | { kind: "floats"; value: number[] }
  | { kind: "tensor"; dtype: DType; value: number[] };

/** Attribute constructors. */
export const attr = {
  int: (value: number): Attr => ({ kind: "int", value }),
  float: (value: number): Attr => ({ kind: "float", value }),
  string: (value: string): Attr => ({ kind: "string", value }),
  ints: (value: number[]): Attr => ({ kind: "ints", value }),
  floats: (value: number[]): Attr => ({ kind: "floats", value }),
  /** A one-dimensional tensor attribute (e.g. ConstantOfShape's fill value). */
  tensor: (dtype: DType, value: number[]): Attr => ({ kind: "tensor", dtype, value }),
};

/** One ONNX node; `null` inputs are omitted optional inputs. */
export interface Node {
  readonly opType: string;
  readonly inputs: readonly (Tensor | null)[];
  readonly outputs: readonly Tensor[];
  readonly attrs: Readonly<Record<string, Attr>>;
}

/** Typed arrays accepted as tensor data. */
export type TensorData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

interface Initializer {
  tensor: Tensor;
  data: TensorData;
  /** Small graph constants (shapes, axes) stay inline: shape inference must read them. */
  constant: boolean;
}

/** Options for serializing a graph. */
export interface ToModelOptions {
  /** Initializers at least this many bytes go to external data (default: none). */
  externalThresholdBytes?: number;
  /** File name of the external data, relative to the model file (default `model.onnx_data`). */
  externalDataFile?: string;
  /** Free-form metadata stored in the model. */
  metadata?: Record<string, string>;
}

/** A serialized model: the `.onnx` bytes and, when weights went external, the bytes of the data file. */
export interface SerializedModel {
  onnx: Uint8Array;
  externalData: { file: string; bytes: Uint8Array } | null;
}

/** The opset this project emits; supported by onnxruntime-node 1.30 on CPU, CUDA and WebGPU. */
export const OPSET = 18;
const IR_VERSION = 8;

/** Whether a dtype is a floating point type (the ones that carry gradients). */
export function isFloat(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64";
}

/** Number of elements of a fully static shape, or null when a dim is symbolic. */
export function staticSize(shape: readonly Dim[]): number | null {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== "number") return null;
    n *= d;
  }
  return n;
}

function normalizeAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`graph: axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** A graph under construction. */
export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: Tensor[] = [];
  readonly outputs: Tensor[] = [];
  /** Output names given to node results by {@link output}, applied when the model is written. */
  private readonly aliases = new Map<Tensor, string>();
  readonly initializers: Initializer[] = [];
  private readonly names = new Set<string>();
  private readonly constantCache = new Map<string, Tensor>();
  private readonly initializerByName = new Map<string, Initializer>();
  private counter = 0;
  private unknownCounter = 0;

  constructor(readonly name = "graph") {}

  /** A fresh dim name for a size only known at run time. */
  unknownDim(): string {
    return `?${this.unknownCounter++}`;
  }

  private fresh(hint: string): string {
    let name = `${hint}_${this.counter++}`;
    while (this.names.has(name)) name = `${hint}_${this.counter++}`;
    this.names.add(name);
    return name;
  }

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`graph: the name "${name}" is already used`);
    this.names.add(name);
    return name;
  }

  /** Declares a graph input. */
  input(name: string, dtype: DType, shape: Dim[]): Tensor {
    const t = { name: this.claim(name), dtype, shape };
    this.inputs.push(t);
    return t;
  }

  /** Declares an initializer (a weight baked into the model). */
  initializer(name: string, dtype: DType, shape: number[], data: TensorData): Tensor {
    return this.addInitializer(this.claim(name), dtype, shape, data, false);
  }

  private addInitializer(
    name: string,
    dtype: DType,
    shape: number[],
    data: TensorData,
    constant: boolean,
  ): Tensor {
    const size = staticSize(shape) ?? 0;
    if (data.length !== size) {
      throw new Error(
        `graph: initializer "${name}" has ${data.length} values but shape [${shape}] needs ${size}`,
      );
    }
    const t = { name, dtype, shape };
    const init = { tensor: t, data, constant };
    this.initializers.push(init);
    this.initializerByName.set(t.name, init);
    return t;
  }

  /** A constant tensor (deduplicated for small values). */
  constant(values: readonly number[], dtype: DType, shape: number[] = [values.length]): Tensor {
    const key = `${dtype}|${shape.join(",")}|${values.join(",")}`;
    const small = values.length <= 16;
    const cached = small ? this.constantCache.get(key) : undefined;
    if (cached) return cached;
    const t = this.addInitializer(this.fresh("const"), dtype, shape, typedArray(values, dtype), true);
    if (small) this.constantCache.set(key, t);
    return t;
  }

  /** The values of a constant or initializer, or null when `t` is computed at run time. */
  constantValues(t: Tensor): number[] | null {
    const init = this.initializerByName.get(t.name);
    return init ? Array.from(init.data as ArrayLike<number | bigint>, Number) : null;
  }

  /** A scalar constant (shape []). */
  scalar(value: number, dtype: DType): Tensor {
    return this.constant([value], dtype, []);
  }

  /** An int64 1-D constant, the form ONNX wants for axes, shapes and indices. */
  ints(values: readonly number[]): Tensor {
    return this.constant(values, "int64");
  }

  /** Appends a node with explicitly given output types. The building block of every op method. */
  node(
    opType: string,
    inputs: (Tensor | null)[],
    outputTypes: { dtype: DType; shape: Dim[] }[],
    attrs: Record<string, Attr> = {},
  ): Tensor[] {
    const outputs = outputTypes.map((o) => ({ name: this.fresh(opType.toLowerCase()), ...o }));
    this.nodes.push({ opType, inputs, outputs, attrs });
    return outputs;
  }

  private unary(opType: string, x: Tensor, attrs: Record<string, Attr> = {}): Tensor {
    return this.node(opType, [x], [{ dtype: x.dtype, shape: [...x.shape] }], attrs)[0];
  }

  private binary(opType: string, a: Tensor, b: Tensor, dtype?: DType): Tensor {
    if (a.dtype !== b.dtype) {
      throw new Error(`graph: ${opType} of ${a.dtype} and ${b.dtype} (cast one first)`);
    }
    return this.node(opType, [a, b], [{
      dtype: dtype ?? a.dtype,
      shape: this.broadcast(a.shape, b.shape),
    }])[0];
  }

  /** Numpy-style broadcast of two shapes; throws on a definite mismatch. */
  broadcast(a: readonly Dim[], b: readonly Dim[]): Dim[] {
    const rank = Math.max(a.length, b.length);
    const out: Dim[] = [];
    for (let i = 0; i < rank; i++) {
      const da = a[a.length - rank + i] ?? 1;
      const db = b[b.length - rank + i] ?? 1;
      if (da === db || db === 1) out.push(da);
      else if (da === 1) out.push(db);
      else if (typeof da === "number" && typeof db === "number") {
        throw new Error(`graph: shapes [${a}] and [${b}] do not broadcast`);
      } else if (typeof da === "number") out.push(da);
      else if (typeof db === "number") out.push(db);
      else out.push(this.unknownDim());
    }
    return out;
  }

  /** Marks a tensor as a graph output under a given name (adds an Identity when it must rename). */
  output(x: Tensor, name: string): Tensor {
    // A node's result becomes the output under its new name: no Identity, which would copy it (for the KV
    // cache, a copy of the whole cache at every decode step). Inputs, initializers and tensors that are
    // already outputs still go through an Identity.
    if (this.producedByNode(x) && !this.aliases.has(x)) {
      this.aliases.set(x, this.claim(name));
      this.outputs.push(x);
      return x;
    }
    const [t] = this.node("Identity", [x], [{ dtype: x.dtype, shape: [...x.shape] }]);
    const renamed = { ...t, name: this.claim(name) };
    this.nodes[this.nodes.length - 1] = { ...this.nodes[this.nodes.length - 1], outputs: [renamed] };
    this.outputs.push(renamed);
    return renamed;
  }

  private producedByNode(x: Tensor): boolean {
    return this.nodes.some((node) => node.outputs.includes(x));
  }

  /** The name a tensor has in the written model (its output name, when it was made an output). */
  private nameOf(t: Tensor): string {
    return this.aliases.get(t) ?? t.name;
  }

  add(a: Tensor, b: Tensor): Tensor {
    return this.binary("Add", a, b);
  }
  sub(a: Tensor, b: Tensor): Tensor {
    return this.binary("Sub", a, b);
  }
  mul(a: Tensor, b: Tensor): Tensor {
    return this.binary("Mul", a, b);
  }
  div(a: Tensor, b: Tensor): Tensor {
    return this.binary("Div", a, b);
  }
  pow(a: Tensor, b: Tensor): Tensor {
    return this.binary("Pow", a, b);
  }
  equal(a: Tensor, b: Tensor): Tensor {
    return this.binary("Equal", a, b, "bool");
  }
  less(a: Tensor, b: Tensor): Tensor {
    return this.binary("Less", a, b, "bool");
  }
  lessOrEqual(a: Tensor, b: Tensor): Tensor {
    return this.binary("LessOrEqual", a, b, "bool");
  }
  and(a: Tensor, b: Tensor): Tensor {
    return this.binary("And", a, b, "bool");
  }
  not(x: Tensor): Tensor {
    return this.unary("Not", x);
  }
  neg(x: Tensor): Tensor {
    return this.unary("Neg", x);
  }
  exp(x: Tensor): Tensor {
    return this.unary("Exp", x);
  }
  log(x: Tensor): Tensor {
    return this.unary("Log", x);
  }
  sqrt(x: Tensor): Tensor {
    return this.unary("Sqrt", x);
  }
  reciprocal(x: Tensor): Tensor {
    return this.unary("Reciprocal", x);
  }
  sigmoid(x: Tensor): Tensor {
    return this.unary("Sigmoid", x);
  }
  cos(x: Tensor): Tensor {
    return this.unary("Cos", x);
  }
  sin(x: Tensor): Tensor {
    return this.unary("Sin", x);
  }
  identity(x: Tensor): Tensor {
    return this.unary("Identity", x);
  }

  /** Scales by a constant of the tensor's dtype. */
  scale(x: Tensor, factor: number): Tensor {
    return this.mul(x, this.scalar(factor, x.dtype));
  }

  /** Batched matrix product (both operands rank >= 2). */
  matmul(a: Tensor, b: Tensor): Tensor {
    if (a.shape.length < 2 || b.shape.length < 2) {
      throw new Error("graph: matmul needs operands of rank >= 2");
    }
    if (a.dtype !== b.dtype) throw new Error(`graph: MatMul of ${a.dtype} and ${b.dtype}`);
    const [m, ka] = a.shape.slice(-2);
    const [kb, n] = b.shape.slice(-2);
    if (typeof ka === "number" && typeof kb === "number" && ka !== kb) {
      throw new Error(`graph: matmul inner sizes differ: [${a.shape}] x [${b.shape}]`);
    }
    const batch = this.broadcast(a.shape.slice(0, -2), b.shape.slice(0, -2));
    return this.node("MatMul", [a, b], [{ dtype: a.dtype, shape: [...batch, m, n] }])[0];
  }

  /** General matrix product of rank-2 tensors: alpha * op(a) op(b) + c. */
  gemm(
    a: Tensor,
    b: Tensor,
    c: Tensor | null,
    opts: { transA?: boolean; transB?: boolean; alpha?: number } = {},
  ): Tensor {
    if (a.shape.length !== 2 || b.shape.length !== 2) throw new Error("graph: gemm needs rank-2 operands");
    const m = opts.transA ? a.shape[1] : a.shape[0];
    const n = opts.transB ? b.shape[0] : b.shape[1];
    const attrs: Record<string, Attr> = {};
    if (opts.transA) attrs.transA = attr.int(1);
    if (opts.transB) attrs.transB = attr.int(1);
    if (opts.alpha !== undefined && opts.alpha !== 1) attrs.alpha = attr.float(opts.alpha);
    return this.node("Gemm", c ? [a, b, c] : [a, b], [{ dtype: a.dtype, shape: [m, n] }], attrs)[0];
  }

  private reduce(opType: string, x: Tensor, axes: number[], keepdims: boolean): Tensor {
    const norm = axes.map((a) => normalizeAxis(a, x.shape.length));
    const shape = keepdims
      ? x.shape.map((d, i) => (norm.includes(i) ? 1 : d))
      : x.shape.filter((_, i) => !norm.includes(i));
    return this.node(opType, [x, this.ints(norm)], [{ dtype: x.dtype, shape }], {
      keepdims: attr.int(keepdims ? 1 : 0),
    })[0];
  }
  reduceSum(x: Tensor, axes: number[], keepdims = false): Tensor {
    return this.reduce("ReduceSum", x, axes, keepdims);
  }
  reduceMean(x: Tensor, axes: number[], keepdims = false): Tensor {
    return this.reduce("ReduceMean", x, axes, keepdims);
  }
  /** Sum of squares over `axes` in one pass (no squared copy of x). */
  reduceSumSquare(x: Tensor, axes: number[], keepdims = false): Tensor {
    return this.reduce("ReduceSumSquare", x, axes, keepdims);
  }
  reduceMax(x: Tensor, axes: number[], keepdims = false): Tensor {
    return this.reduce("ReduceMax", x, axes, keepdims);
  }

  softmax(x: Tensor, axis = -1): Tensor {
    return this.unary("Softmax", x, { axis: attr.int(normalizeAxis(axis, x.shape.length)) });
  }
  logSoftmax(x: Tensor, axis = -1): Tensor {
    return this.unary("LogSoftmax", x, { axis: attr.int(normalizeAxis(axis, x.shape.length)) });
  }
  cumsum(x: Tensor, axis: number): Tensor {
    return this.node("CumSum", [x, this.constant([axis], "int64", [])], [{
      dtype: x.dtype,
      shape: [...x.shape],
    }])[0];
  }

  /** Gathers slices of `data` along `axis` (embedding lookup with axis 0). */
  gather(data: Tensor, indices: Tensor, axis = 0): Tensor {
    const a = normalizeAxis(axis, data.shape.length);
    const shape = [...data.shape.slice(0, a), ...indices.shape, ...data.shape.slice(a + 1)];
    return this.node("Gather", [data, indices], [{ dtype: data.dtype, shape }], { axis: attr.int(a) })[0];
  }
  /** Picks one element per index along `axis`; output has the indices' shape. */
  gatherElements(data: Tensor, indices: Tensor, axis: number): Tensor {
    const a = normalizeAxis(axis, data.shape.length);
    return this.node("GatherElements", [data, indices], [{ dtype: data.dtype, shape: [...indices.shape] }], {
      axis: attr.int(a),
    })[0];
  }
  /** `data` with `updates` added at `indices` along `axis` (the adjoint of GatherElements). */
  scatterElementsAdd(data: Tensor, indices: Tensor, updates: Tensor, axis: number): Tensor {
    return this.node("ScatterElements", [data, indices, updates], [{
      dtype: data.dtype,
      shape: [...data.shape],
    }], {
      axis: attr.int(normalizeAxis(axis, data.shape.length)),
      reduction: attr.string("add"),
    })[0];
  }
  /** `data` with its slices at the (distinct) index tuples in `indices` replaced by `updates`. */
  scatterND(data: Tensor, indices: Tensor, updates: Tensor): Tensor {
    return this.node("ScatterND", [data, indices, updates], [{
      dtype: data.dtype,
      shape: [...data.shape],
    }])[0];
  }
  /** The sorted distinct values of a 1-D tensor, and for each element the index of its value among them. */
  unique(x: Tensor): { values: Tensor; inverse: Tensor } {
    const [values, , inverse] = this.node("Unique", [x], [
      { dtype: x.dtype, shape: [this.unknownDim()] },
      { dtype: "int64", shape: [this.unknownDim()] },
      { dtype: "int64", shape: [...x.shape] },
      { dtype: "int64", shape: [this.unknownDim()] },
    ], { sorted: attr.int(1) });
    return { values, inverse };
  }

  /** The runtime shape of a tensor as an int64 vector. */
  shape(x: Tensor, start?: number, end?: number): Tensor {
    const attrs: Record<string, Attr> = {};
    if (start !== undefined) attrs.start = attr.int(start);
    if (end !== undefined) attrs.end = attr.int(end);
    const len = x.shape.slice(start ?? 0, end ?? x.shape.length).length;
    return this.node("Shape", [x], [{ dtype: "int64", shape: [len] }], attrs)[0];
  }
  /** A tensor of the runtime shape `shape` filled with `value`. */
  constantOfShape(shape: Tensor, value: number, dtype: DType, staticShape?: Dim[]): Tensor {
    const dims = staticShape ?? Array.from({ length: Number(shape.shape[0]) }, () => this.unknownDim());
    return this.node("ConstantOfShape", [shape], [{ dtype, shape: dims }], {
      value: attr.tensor(dtype, [value]),
    })[0];
  }
  /** Zeros with the same dtype and runtime shape as `like`. */
  zerosLike(like: Tensor): Tensor {
    return this.constantOfShape(this.shape(like), 0, like.dtype, [...like.shape]);
  }

  /**
   * Reshape to a fixed target (`0` copies the input dim, `-1` is inferred) or to a runtime shape tensor;
   * `staticShape` names the result's dims when the caller knows them better than inference does.
   */
  reshape(x: Tensor, target: number[] | Tensor, staticShape?: Dim[]): Tensor {
    if (staticShape) {
      const shapeInput = Array.isArray(target) ? this.ints(target) : target;
      return this.node("Reshape", [x, shapeInput], [{ dtype: x.dtype, shape: staticShape }])[0];
    }
    if (!Array.isArray(target)) {
      const shape = staticShape ?? Array.from({ length: Number(target.shape[0]) }, () => this.unknownDim());
      return this.node("Reshape", [x, target], [{ dtype: x.dtype, shape }])[0];
    }
    const shape: Dim[] = target.map((d, i) => (d === 0 ? x.shape[i] : d));
    const inferred = shape.indexOf(-1);
    if (inferred >= 0) {
      const total = staticSize(x.shape);
      const known = staticSize(shape.filter((_, i) => i !== inferred));
      shape[inferred] = total !== null && known !== null ? total / known : this.unknownDim();
    }
    return this.node("Reshape", [x, this.ints(target)], [{ dtype: x.dtype, shape }])[0];
  }
  transpose(x: Tensor, perm: number[]): Tensor {
    return this.node("Transpose", [x], [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]) }], {
      perm: attr.ints(perm),
    })[0];
  }
  unsqueeze(x: Tensor, axes: number[]): Tensor {
    const rank = x.shape.length + axes.length;
    const norm = axes.map((a) => normalizeAxis(a, rank));
    const rest = [...x.shape];
    const shape = Array.from({ length: rank }, (_, i) => (norm.includes(i) ? 1 : rest.shift()!));
    return this.node("Unsqueeze", [x, this.ints(norm)], [{ dtype: x.dtype, shape }])[0];
  }
  squeeze(x: Tensor, axes: number[]): Tensor {
    const norm = axes.map((a) => normalizeAxis(a, x.shape.length));
    const shape = x.shape.filter((_, i) => !norm.includes(i));
    return this.node("Squeeze", [x, this.ints(norm)], [{ dtype: x.dtype, shape }])[0];
  }
  concat(xs: Tensor[], axis: number): Tensor {
    const a = normalizeAxis(axis, xs[0].shape.length);
    const sizes = xs.map((x) => x.shape[a]);
    const total = sizes.every((s) => typeof s === "number")
      ? (sizes as number[]).reduce((p, q) => p + q, 0)
      : this.unknownDim();
    const shape = xs[0].shape.map((d, i) => (i === a ? total : d));
    return this.node("Concat", xs, [{ dtype: xs[0].dtype, shape }], { axis: attr.int(a) })[0];
  }
  /** Splits along `axis` into pieces of the given static sizes, or of sizes given at run time. */
  split(x: Tensor, axis: number, sizes: number[] | Tensor, count?: number): Tensor[] {
    const a = normalizeAxis(axis, x.shape.length);
    const pieces = Array.isArray(sizes) ? sizes.length : count!;
    const outs = Array.from({ length: pieces }, (_, k) => ({
      dtype: x.dtype,
      shape: x.shape.map((d, i) => (i !== a ? d : Array.isArray(sizes) ? sizes[k] : this.unknownDim())),
    }));
    const sizeTensor = Array.isArray(sizes) ? this.ints(sizes) : sizes;
    return this.node("Split", [x, sizeTensor], outs, { axis: attr.int(a) });
  }
  /** Static slice along axes: [starts, ends) with step 1. */
  slice(x: Tensor, axes: number[], starts: number[], ends: number[]): Tensor {
    const norm = axes.map((a) => normalizeAxis(a, x.shape.length));
    const shape = x.shape.map((d, i) => {
      const k = norm.indexOf(i);
      if (k < 0) return d;
      if (typeof d !== "number") return this.unknownDim();
      const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
      return Math.max(clamp(ends[k]) - clamp(starts[k]), 0);
    });
    return this.node("Slice", [x, this.ints(starts), this.ints(ends), this.ints(norm)], [{
      dtype: x.dtype,
      shape,
    }])[0];
  }
  /** Zero padding with a static pads vector ([begin..., end...] as in ONNX Pad). */
  pad(x: Tensor, pads: number[]): Tensor {
    const rank = x.shape.length;
    const shape = x.shape.map((
      d,
      i,
    ) => (typeof d === "number" ? d + pads[i] + pads[i + rank] : this.unknownDim()));
    return this.node("Pad", [x, this.ints(pads)], [{ dtype: x.dtype, shape }])[0];
  }
  where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
    if (a.dtype !== b.dtype) throw new Error(`graph: Where of ${a.dtype} and ${b.dtype}`);
    const shape = this.broadcast(cond.shape, this.broadcast(a.shape, b.shape));
    return this.node("Where", [cond, a, b], [{ dtype: a.dtype, shape }])[0];
  }
  cast(x: Tensor, dtype: DType): Tensor {
    if (x.dtype === dtype) return x;
    return this.node("Cast", [x], [{ dtype, shape: [...x.shape] }], { to: attr.int(DATA_TYPE[dtype]) })[0];
  }
  /** Broadcasts to a runtime shape tensor. */
  expand(x: Tensor, shape: Tensor, staticShape?: Dim[]): Tensor {
    const dims = staticShape ?? Array.from({ length: Number(shape.shape[0]) }, () => this.unknownDim());
    return this.node("Expand", [x, shape], [{ dtype: x.dtype, shape: dims }])[0];
  }
  range(start: Tensor, limit: Tensor, delta: Tensor): Tensor {
    return this.node("Range", [start, limit, delta], [{ dtype: start.dtype, shape: [this.unknownDim()] }])[0];
  }
  nonZero(x: Tensor): Tensor {
    return this.node("NonZero", [x], [{ dtype: "int64", shape: [x.shape.length, this.unknownDim()] }])[0];
  }

  /** Serializes the graph to a ModelProto (and external data when asked). */
  toModel(options: ToModelOptions = {}): SerializedModel {
    const threshold = options.externalThresholdBytes ?? Infinity;
    const file = options.externalDataFile ?? "model.onnx_data";
    const chunks: Uint8Array[] = [];
    let offset = 0;
    const initializer = this.initializers.map(({ tensor, data, constant }): TensorProtoObject => {
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      const base = { name: tensor.name, dims: tensor.shape as number[], dataType: DATA_TYPE[tensor.dtype] };
      if (constant || bytes.byteLength < threshold) return { ...base, rawData: bytes };
      const padding = (64 - (offset % 64)) % 64;
      if (padding) chunks.push(new Uint8Array(padding));
      offset += padding;
      chunks.push(bytes);
      const entry = [
        { key: "location", value: file },
        { key: "offset", value: String(offset) },
        { key: "length", value: String(bytes.byteLength) },
      ];
      offset += bytes.byteLength;
      return { ...base, externalData: entry, dataLocation: 1 };
    });
    const model: ModelProtoObject = {
      irVersion: IR_VERSION,
      producerName: "score-pipeline",
      producerVersion: "1",
      opsetImport: [{ domain: "", version: OPSET }],
      graph: {
        name: this.name,
        node: this.nodes.map((n, i) => ({
          name: `n${i}_${n.opType}`,
          opType: n.opType,
          input: n.inputs.map((t) => (t ? this.nameOf(t) : "")),
          output: n.outputs.map((t) => this.nameOf(t)),
          attribute: Object.entries(n.attrs).map(([name, a]) => encodeAttr(name, a)),
        })),
        initializer,
        input: this.inputs.map(valueInfo),
        output: this.outputs.map((t) => valueInfo({ ...t, name: this.nameOf(t) })),
      },
      metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    };
    const externalData = chunks.length ? { file, bytes: concatBytes(chunks) } : null;
    return { onnx: encodeModel(model), externalData };
  }
}

function valueInfo(t: Tensor): ValueInfoObject {
  const dim = t.shape.map((d) =>
    typeof d === "number" ? { dimValue: d } : { dimParam: d.startsWith("?") ? `unk_${d.slice(1)}` : d }
  );
  return { name: t.name, type: { tensorType: { elemType: DATA_TYPE[t.dtype], shape: { dim } } } };
}

function encodeAttr(name: string, a: Attr): AttributeProtoObject {
  switch (a.kind) {
    case "int":
      return { name, type: ATTRIBUTE_TYPE.INT, i: a.value };
    case "float":
      return { name, type: ATTRIBUTE_TYPE.FLOAT, f: a.value };
    case "string":
      return { name, type: ATTRIBUTE_TYPE.STRING, s: new TextEncoder().encode(a.value) };
    case "ints":
      return { name, type: ATTRIBUTE_TYPE.INTS, ints: a.value };
    case "floats":
      return { name, type: ATTRIBUTE_TYPE.FLOATS, floats: a.value };
    case "tensor": {
      const data = typedArray(a.value, a.dtype);
      const rawData = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      return {
        name,
        type: ATTRIBUTE_TYPE.TENSOR,
        t: { name, dims: [a.value.length], dataType: DATA_TYPE[a.dtype], rawData },
      };
    }
  }
}

/** Typed array of the right kind for a dtype. */
export function typedArray(values: readonly number[], dtype: DType): TensorData {
  switch (dtype) {
    case "float32":
      return Float32Array.from(values);
    case "float64":
      return Float64Array.from(values);
    case "int64":
      return BigInt64Array.from(values, (v) => BigInt(v));
    case "int32":
      return Int32Array.from(values);
    case "bool":
      return Uint8Array.from(values, (v) => (v ? 1 : 0));
  }
}
