import assert from "node:assert/strict";
import { checkGradients, type CheckInput, seededValues } from "./grad_check.ts";
import type { Graph, Tensor } from "./graph.ts";

let seed = 1;
function rand(shape: number[], lo = -1, hi = 1): CheckInput {
  return { shape, values: seededValues(shape.reduce((a, b) => a * b, 1), seed++, lo, hi) };
}

type Case = [string, Record<string, CheckInput>, (g: Graph, x: Record<string, Tensor>) => Tensor];

async function expectGradients(
  inputs: Record<string, CheckInput>,
  f: (g: Graph, xs: Record<string, Tensor>) => Tensor,
  eps = 1e-6,
  tolerance = 1e-6,
) {
  const { maxError, worst } = await checkGradients(inputs, f, eps);
  assert.ok(Number.isFinite(maxError), `non-finite gradient: ${worst}`);
  assert.ok(maxError < tolerance, `error ${maxError} at ${worst}`);
}

const cases: Case[] = [
  ["Add with broadcasting", { a: rand([2, 3, 4]), b: rand([3, 1]) }, (g, { a, b }) => g.add(a, b)],
  ["Sub with broadcasting", { a: rand([4]), b: rand([2, 3, 4]) }, (g, { a, b }) => g.sub(a, b)],
  ["Mul with broadcasting", { a: rand([2, 1, 4]), b: rand([3, 4]) }, (g, { a, b }) => g.mul(a, b)],
  ["Div", { a: rand([2, 3]), b: rand([2, 3], 0.5, 2) }, (g, { a, b }) => g.div(a, b)],
  ["Pow with tensor exponent", { a: rand([3, 2], 0.5, 2), b: rand([2]) }, (g, { a, b }) => g.pow(a, b)],
  ["Neg, Exp", { a: rand([5]) }, (g, { a }) => g.exp(g.neg(a))],
  ["Log", { a: rand([5], 0.5, 2) }, (g, { a }) => g.log(a)],
  ["Sqrt, Reciprocal", { a: rand([5], 0.5, 2) }, (g, { a }) => g.reciprocal(g.sqrt(a))],
  ["Sigmoid", { a: rand([2, 3]) }, (g, { a }) => g.sigmoid(a)],
  ["Cos, Sin", { a: rand([4]) }, (g, { a }) => g.mul(g.cos(a), g.sin(a))],
  ["MatMul 2-D", { a: rand([3, 4]), b: rand([4, 2]) }, (g, { a, b }) => g.matmul(a, b)],
  [
    "MatMul batched with shared weight",
    { a: rand([2, 3, 4]), b: rand([4, 5]) },
    (g, { a, b }) => g.matmul(a, b),
  ],
  [
    "MatMul batched broadcast",
    { a: rand([2, 2, 3, 4]), b: rand([2, 1, 4, 3]) },
    (g, { a, b }) => g.matmul(a, b),
  ],
  ...[[false, false], [false, true], [true, false], [true, true]].map(([transA, transB]) =>
    [
      `Gemm transA=${transA} transB=${transB}`,
      { a: rand(transA ? [4, 3] : [3, 4]), b: rand(transB ? [2, 4] : [4, 2]), c: rand([2]) },
      (g: Graph, { a, b, c }: Record<string, Tensor>) => g.gemm(a, b, c, { transA, transB, alpha: 0.7 }),
    ] as Case
  ),
  ["ReduceSum", { a: rand([2, 3, 4]) }, (g, { a }) => g.reduceSum(a, [0, 2])],
  ["ReduceMean keepdims", { a: rand([2, 3, 4]) }, (g, { a }) => g.reduceMean(a, [1], true)],
  ["ReduceMean", { a: rand([2, 3, 4]) }, (g, { a }) => g.reduceMean(a, [0, 2])],
  ["ReduceSumSquare keepdims", { a: rand([2, 3, 4]) }, (g, { a }) => g.reduceSumSquare(a, [-1], true)],
  ["ReduceSumSquare", { a: rand([2, 3, 4]) }, (g, { a }) => g.reduceSumSquare(a, [0, 1])],
  ["Mul of a tensor by itself", { a: rand([2, 3]) }, (g, { a }) => g.mul(a, a)],
  [
    "Gather permuting an inner axis",
    { a: rand([2, 3, 4]) },
    (g, { a }) => g.gather(a, g.ints([2, 0, 1]), 1),
  ],
  ["ReduceMax", { a: rand([3, 5]) }, (g, { a }) => g.reduceMax(a, [1])],
  ["Softmax", { a: rand([2, 5]) }, (g, { a }) => g.softmax(a, -1)],
  ["LogSoftmax", { a: rand([2, 5]) }, (g, { a }) => g.logSoftmax(a, 1)],
  [
    "Gather rows with repeats",
    { a: rand([5, 3]) },
    (g, { a }) => g.gather(a, g.constant([1, 4, 1, 0], "int64", [2, 2])),
  ],
  [
    "GatherElements",
    { a: rand([2, 3, 5]) },
    (g, { a }) => g.gatherElements(a, g.constant([0, 4, 2, 2, 1, 3], "int64", [2, 3, 1]), 2),
  ],
  ["Reshape, Transpose", { a: rand([2, 3, 4]) }, (g, { a }) => g.transpose(g.reshape(a, [0, 12]), [1, 0])],
  ["Unsqueeze, Squeeze", { a: rand([2, 3]) }, (g, { a }) => g.mul(g.squeeze(g.unsqueeze(a, [1]), [1]), a)],
  ["Concat", { a: rand([2, 3]), b: rand([2, 1]) }, (g, { a, b }) => g.concat([a, b], 1)],
  ["Split with one unused piece", { a: rand([2, 5]) }, (g, { a }) => g.split(a, 1, [2, 3])[1]],
  ["Slice", { a: rand([3, 6]) }, (g, { a }) => g.slice(a, [1], [1], [-1])],
  [
    "Where",
    { a: rand([2, 3]), b: rand([3]) },
    (g, { a, b }) => g.where(g.constant([1, 0, 1], "bool", [3]), a, b),
  ],
  ["Expand", { a: rand([3, 1]) }, (g, { a }) => g.expand(a, g.ints([2, 3, 4]), [2, 3, 4])],
  [
    "runtime broadcast reduction (symbolic dims)",
    { a: rand([2, 3]), b: rand([1, 3]) },
    (g, { a, b }) => g.add(a, g.reshape(b, g.shape(b))),
  ],
];

for (const [name, inputs, f] of cases) {
  Deno.test(`gradient matches finite differences: ${name}`, () => expectGradients(inputs, f));
}

// float32 rounding inside the cast limits finite differences to a coarse step and tolerance.
Deno.test("gradient matches finite differences: Cast through float32", () =>
  expectGradients(
    { a: rand([3]) },
    (g, { a }) => g.mul(g.cast(g.cast(a, "float32"), "float64"), a),
    1e-2,
    1e-4,
  ));

Deno.test("Gather on an inner axis with indices that do not permute it is refused with a clear error", async () => {
  const refused = await checkGradients({ a: rand([2, 3]) }, (g, { a }) => g.gather(a, g.ints([0, 0]), 1))
    .then(
      () => null,
      (e: Error) => e,
    );
  assert.match(refused?.message ?? "", /differentiable only with constant indices that permute the axis/);
});
