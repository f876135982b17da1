/**
 * Gradient rules, one short function per ONNX op, all in this file. A rule receives the forward node and the
 * gradients of its outputs (null where an output does not reach the loss) and returns the gradients of its
 * inputs (null where `needs[i]` is false or the input is not differentiable). Rules emit standard ONNX ops only.
 *
 * @module
 */
import type { Graph, Node, Tensor } from "./graph.ts";

/** The gradient rule of one op type. */
export type GradRule = (g: Graph, node: Node, dys: (Tensor | null)[], needs: boolean[]) => (Tensor | null)[];

/**
 * Sums `dy` down to the shape of `x`, undoing numpy broadcasting. Resolved from the static shapes when they
 * decide it; otherwise computed at run time from Shape ops (reducing axes where x has 1 and dy has not).
 */
export function sumToShape(g: Graph, dy: Tensor, x: Tensor): Tensor {
  const lead = dy.shape.length - x.shape.length;
  const keep: number[] = [];
  let dynamic = false;
  x.shape.forEach((d, i) => {
    const out = dy.shape[i + lead];
    if (d === out) return;
    if (d === 1) keep.push(i + lead);
    else dynamic = true;
  });
  if (dynamic) return sumToShapeAtRuntime(g, dy, x);
  let r = dy;
  if (keep.length) r = g.reduceSum(r, keep, true);
  if (lead > 0) r = g.reduceSum(r, Array.from({ length: lead }, (_, i) => i), false);
  return r;
}

function sumToShapeAtRuntime(g: Graph, dy: Tensor, x: Tensor): Tensor {
  const lead = dy.shape.length - x.shape.length;
  const xShape = g.shape(x);
  const padded = lead > 0 ? g.concat([g.ints(new Array(lead).fill(1)), xShape], 0) : xShape;
  const one = g.ints([1]);
  const broadcastAxes = g.and(g.equal(padded, one), g.not(g.equal(g.shape(dy), one)));
  const axes = g.reshape(g.nonZero(broadcastAxes), [-1]);
  const [summed] = g.node("ReduceSum", [dy, axes], [{
    dtype: dy.dtype,
    shape: dy.shape.map(() => g.unknownDim()),
  }], {
    keepdims: { kind: "int", value: 1 },
    noop_with_empty_axes: { kind: "int", value: 1 },
  });
  return g.reshape(summed, xShape, [...x.shape]);
}

function transposeLast2(g: Graph, x: Tensor): Tensor {
  const r = x.shape.length;
  const perm = Array.from({ length: r }, (_, i) => i);
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return g.transpose(x, perm);
}

function intAttr(node: Node, name: string, fallback: number): number {
  const a = node.attrs[name];
  return a && a.kind === "int" ? a.value : fallback;
}

function constantInput(g: Graph, node: Node, index: number): number[] {
  const t = node.inputs[index];
  const values = t ? g.constantValues(t) : null;
  if (!values) {
    throw new Error(`autodiff: ${node.opType} needs a constant input ${index} to be differentiated`);
  }
  return values;
}

/** The output gradient of a reduction with the reduced axes kept (size 1), ready to broadcast against x. */
function keptReduced(g: Graph, node: Node, dy: Tensor): Tensor {
  return intAttr(node, "keepdims", 1) ? dy : g.unsqueeze(dy, constantInput(g, node, 1));
}

/** Gradient of a reduction: the output gradient broadcast back over the reduced axes. */
function spreadReduced(g: Graph, node: Node, dy: Tensor): Tensor {
  const x = node.inputs[0]!;
  return g.expand(keptReduced(g, node, dy), g.shape(x), [...x.shape]);
}

function reducedCount(g: Graph, x: Tensor, axes: number[]): Tensor {
  const dims = axes.map((a) => x.shape[a]);
  if (dims.every((d) => typeof d === "number")) {
    return g.scalar((dims as number[]).reduce((p, q) => p * q, 1), x.dtype);
  }
  const sizes = g.gather(g.shape(x), g.ints(axes));
  const [count] = g.node("ReduceProd", [sizes], [{ dtype: "int64", shape: [] }], {
    keepdims: { kind: "int", value: 0 },
  });
  return g.cast(count, x.dtype);
}

function matmulGrads(g: Graph, a: Tensor, b: Tensor, dy: Tensor, needs: boolean[]): (Tensor | null)[] {
  const da = needs[0] ? sumToShape(g, g.matmul(dy, transposeLast2(g, b)), a) : null;
  let db: Tensor | null = null;
  if (needs[1] && b.shape.length === 2 && a.shape.length > 2) {
    // Weight shared across the batch: one Gemm over the flattened rows instead of a batched product + sum.
    const k = a.shape[a.shape.length - 1] as number;
    const n = dy.shape[dy.shape.length - 1] as number;
    db = g.gemm(g.reshape(a, [-1, k]), g.reshape(dy, [-1, n]), null, { transA: true });
  } else if (needs[1]) {
    db = sumToShape(g, g.matmul(transposeLast2(g, a), dy), b);
  }
  return [da, db];
}

function gemmGrads(g: Graph, node: Node, dy: Tensor, needs: boolean[]): (Tensor | null)[] {
  const [a, b, c] = node.inputs as Tensor[];
  const transA = intAttr(node, "transA", 0) === 1;
  const transB = intAttr(node, "transB", 0) === 1;
  const alphaAttr = node.attrs.alpha;
  const alpha = alphaAttr && alphaAttr.kind === "float" ? alphaAttr.value : 1;
  const betaAttr = node.attrs.beta;
  const beta = betaAttr && betaAttr.kind === "float" ? betaAttr.value : 1;
  const mm = (p: Tensor, q: Tensor, tp: boolean, tq: boolean) =>
    g.gemm(p, q, null, { transA: tp, transB: tq, alpha });
  let da: Tensor | null = null;
  let db: Tensor | null = null;
  if (needs[0]) da = transA ? mm(b, dy, transB, true) : mm(dy, b, false, !transB);
  if (needs[1]) db = transB ? mm(dy, a, true, transA) : mm(a, dy, !transA, false);
  const dc = c && needs[2] ? sumToShape(g, beta === 1 ? dy : g.scale(dy, beta), c) : null;
  return [da, db, dc];
}

/**
 * For a Gather along a non-leading axis whose constant indices permute that axis, the inverse permutation:
 * gathering the output gradient with it is the exact adjoint (no scatter needed).
 */
function inversePermutation(g: Graph, node: Node, axis: number): number[] {
  const perm = constantInput(g, node, 1);
  const size = node.inputs[0]!.shape[axis];
  const isPermutation = perm.length === size &&
    perm.every((p, i) => perm.indexOf(p) === i && p >= 0 && p < size);
  if (!isPermutation) {
    throw new Error(
      `autodiff: Gather on axis ${axis} is differentiable only with constant indices that permute the axis ` +
        `(got [${perm}] for size ${size}); gather on axis 0 instead`,
    );
  }
  return perm.map((_, i) => perm.indexOf(i));
}

function sliceGrad(g: Graph, node: Node, dy: Tensor): Tensor {
  const x = node.inputs[0]!;
  const [starts, ends, axes] = [1, 2, 3].map((i) => constantInput(g, node, i));
  if (node.inputs[4]) throw new Error("autodiff: Slice with steps is not differentiable here");
  const rank = x.shape.length;
  const pads = new Array(2 * rank).fill(0);
  axes.forEach((axis, k) => {
    const size = x.shape[axis];
    if (typeof size !== "number") {
      throw new Error("autodiff: Slice gradient needs a static size on sliced axes");
    }
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
    pads[axis] = clamp(starts[k]);
    pads[axis + rank] = size - clamp(ends[k]);
  });
  return g.pad(dy, pads);
}

function concatGrad(g: Graph, node: Node, dy: Tensor, needs: boolean[]): (Tensor | null)[] {
  const axis = intAttr(node, "axis", 0);
  const inputs = node.inputs as Tensor[];
  const sizes = inputs.map((t) => t.shape[axis]);
  const parts = sizes.every((s) => typeof s === "number")
    ? g.split(dy, axis, sizes as number[])
    : g.split(dy, axis, g.concat(inputs.map((t) => g.shape(t, axis, axis + 1)), 0), inputs.length);
  const staticShape = (t: Tensor) => t.shape.every((d) => typeof d === "number");
  return parts.map((p, i) => {
    if (!needs[i]) return null;
    return staticShape(inputs[i]) ? p : g.reshape(p, g.shape(inputs[i]), [...inputs[i].shape]);
  });
}

const reshapeBack: GradRule = (g, node, [dy]) => {
  const x = node.inputs[0]!;
  return [g.reshape(dy!, g.shape(x), [...x.shape]), null];
};

/** Every supported op's gradient rule, keyed by ONNX op type. */
export const GRAD_RULES: Record<string, GradRule> = {
  Identity: (_g, _n, [dy]) => [dy],
  Add: (g, { inputs: [a, b] }, [dy], needs) => [
    needs[0] ? sumToShape(g, dy!, a!) : null,
    needs[1] ? sumToShape(g, dy!, b!) : null,
  ],
  Sub: (g, { inputs: [a, b] }, [dy], needs) => [
    needs[0] ? sumToShape(g, dy!, a!) : null,
    needs[1] ? sumToShape(g, g.neg(dy!), b!) : null,
  ],
  Mul: (g, { inputs: [a, b] }, [dy], needs) =>
    a!.name === b!.name ? [g.mul(dy!, g.add(a!, a!)), null] : [
      needs[0] ? sumToShape(g, g.mul(dy!, b!), a!) : null,
      needs[1] ? sumToShape(g, g.mul(dy!, a!), b!) : null,
    ],
  Div: (g, { inputs: [a, b], outputs: [y] }, [dy], needs) => [
    needs[0] ? sumToShape(g, g.div(dy!, b!), a!) : null,
    needs[1] ? sumToShape(g, g.neg(g.div(g.mul(dy!, y), b!)), b!) : null,
  ],
  Pow: (g, { inputs: [a, b], outputs: [y] }, [dy], needs) => [
    needs[0] ? sumToShape(g, g.mul(dy!, g.mul(b!, g.pow(a!, g.sub(b!, g.scalar(1, b!.dtype))))), a!) : null,
    needs[1] ? sumToShape(g, g.mul(dy!, g.mul(y, g.log(a!))), b!) : null,
  ],
  Neg: (g, _n, [dy]) => [g.neg(dy!)],
  Exp: (g, { outputs: [y] }, [dy]) => [g.mul(dy!, y)],
  Log: (g, { inputs: [x] }, [dy]) => [g.div(dy!, x!)],
  Sqrt: (g, { outputs: [y] }, [dy]) => [g.div(g.scale(dy!, 0.5), y)],
  Reciprocal: (g, { outputs: [y] }, [dy]) => [g.neg(g.mul(dy!, g.mul(y, y)))],
  Sigmoid: (g, { outputs: [y] }, [dy]) => [g.mul(dy!, g.mul(y, g.sub(g.scalar(1, y.dtype), y)))],
  Cos: (g, { inputs: [x] }, [dy]) => [g.neg(g.mul(dy!, g.sin(x!)))],
  Sin: (g, { inputs: [x] }, [dy]) => [g.mul(dy!, g.cos(x!))],
  MatMul: (g, { inputs: [a, b] }, [dy], needs) => matmulGrads(g, a!, b!, dy!, needs),
  Gemm: (g, node, [dy], needs) => gemmGrads(g, node, dy!, needs),
  ReduceSum: (g, node, [dy]) => [spreadReduced(g, node, dy!), null],
  ReduceMean: (g, node, [dy]) => {
    const x = node.inputs[0]!;
    const perElement = g.div(keptReduced(g, node, dy!), reducedCount(g, x, constantInput(g, node, 1)));
    return [g.expand(perElement, g.shape(x), [...x.shape]), null];
  },
  // d/dx sum(x^2) = 2x: one broadcasting Mul against the (small) kept-axes gradient.
  ReduceSumSquare: (g, node, [dy]) => [g.mul(node.inputs[0]!, g.scale(keptReduced(g, node, dy!), 2)), null],
  ReduceMax: (g, node, [dy]) => {
    const x = node.inputs[0]!;
    const axes = constantInput(g, node, 1);
    const keep = intAttr(node, "keepdims", 1) === 1;
    const y = keep ? node.outputs[0] : g.unsqueeze(node.outputs[0], axes);
    const isMax = g.cast(g.equal(x, y), x.dtype);
    const ties = g.reduceSum(isMax, axes, true);
    return [g.div(g.mul(isMax, keep ? dy! : g.unsqueeze(dy!, axes)), ties), null];
  },
  Softmax: (g, node, [dy]) => {
    const y = node.outputs[0];
    const axis = intAttr(node, "axis", -1);
    return [g.mul(y, g.sub(dy!, g.reduceSum(g.mul(dy!, y), [axis], true)))];
  },
  LogSoftmax: (g, node, [dy]) => {
    const axis = intAttr(node, "axis", -1);
    return [g.sub(dy!, g.mul(g.exp(node.outputs[0]), g.reduceSum(dy!, [axis], true)))];
  },
  Gather: (g, node, [dy]) => {
    const [data, indices] = node.inputs as Tensor[];
    const axis = intAttr(node, "axis", 0);
    if (axis === 0) return [gatherRowsAdjoint(g, data, indices, dy!), null];
    return [g.gather(dy!, g.ints(inversePermutation(g, node, axis)), axis), null];
  },
  GatherElements: (g, node, [dy]) => {
    const [data, indices] = node.inputs as Tensor[];
    return [g.scatterElementsAdd(g.zerosLike(data), indices, dy!, intAttr(node, "axis", 0)), null];
  },
  Reshape: reshapeBack,
  Unsqueeze: reshapeBack,
  Squeeze: reshapeBack,
  Transpose: (g, node, [dy]) => {
    const permAttr = node.attrs.perm;
    const perm = permAttr && permAttr.kind === "ints" ? permAttr.value : [];
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return [g.transpose(dy!, inverse)];
  },
  Concat: (g, node, [dy], needs) => concatGrad(g, node, dy!, needs),
  Split: (g, node, dys) => {
    const parts = dys.map((d, i) => d ?? g.zerosLike(node.outputs[i]));
    return [g.concat(parts, intAttr(node, "axis", 0)), null];
  },
  Slice: (g, node, [dy]) => [sliceGrad(g, node, dy!)],
  Where: (g, { inputs: [cond, a, b] }, [dy], needs) => {
    const zero = g.scalar(0, dy!.dtype);
    return [
      null,
      needs[1] ? sumToShape(g, g.where(cond!, dy!, zero), a!) : null,
      needs[2] ? sumToShape(g, g.where(cond!, zero, dy!), b!) : null,
    ];
  },
  Cast: (g, { inputs: [x] }, [dy]) => [g.cast(dy!, x!.dtype)],
  // random noise (dropout masks) carries no gradient to the tensor whose shape it copies
  RandomUniformLike: () => [null],
  Expand: (g, { inputs: [x] }, [dy]) => [sumToShape(g, dy!, x!), null],
};

/**
 * The adjoint of Gather on axis 0 (an embedding lookup): the rows of `dy` summed per distinct index.
 *
 * ScatterND with `reduction: add` would do it in one op, but onnxruntime's CPU kernel adds repeated indices
 * from several threads at once and loses updates. So the sums are taken first, race-free and in a fixed
 * order, as one matrix product: onehot[u, n] = (inverse[n] == u) over the U distinct indices, times dy as
 * [N, rest]. Each distinct row is then written once with a plain ScatterND.
 */
function gatherRowsAdjoint(g: Graph, data: Tensor, indices: Tensor, dy: Tensor): Tensor {
  const rest = data.shape.slice(1);
  if (!rest.every((d): d is number => typeof d === "number")) {
    throw new Error("Gather gradient: the gathered rows need a static shape");
  }
  const width = rest.reduce((a, b) => a * b, 1);
  const { values, inverse } = g.unique(g.reshape(indices, [-1]));
  const distinct = g.range(g.scalar(0, "int64"), g.squeeze(g.shape(values), [0]), g.scalar(1, "int64"));
  const onehot = g.cast(g.equal(g.unsqueeze(distinct, [1]), g.unsqueeze(inverse, [0])), dy.dtype);
  const sums = g.matmul(onehot, g.reshape(dy, [-1, width]));
  const rows = g.reshape(sums, g.concat([g.shape(values), g.ints(rest)], 0));
  return g.scatterND(g.zerosLike(data), g.unsqueeze(values, [-1]), rows);
}
