/**
 * Numerical gradient checking: compares the gradients that {@link gradients} emits with central finite
 * differences, running the graph in float64 on onnxruntime's CPU provider.
 *
 * @module
 */
import * as ort from "onnxruntime-node";
import { gradients } from "./autodiff.ts";
import { Graph, type Tensor } from "./graph.ts";
import { createSession } from "../runtime.ts";

/** A float64 input of a gradient check, with its values. */
export interface CheckInput {
  shape: number[];
  values: Float64Array;
}

/** Result of a gradient check: the largest error relative to max(1, |numeric|). */
export interface GradCheckResult {
  maxError: number;
  worst: string;
}

/** Deterministic pseudo-random values in [lo, hi) from a seed (mulberry32). */
export function seededValues(count: number, seed: number, lo = -1, hi = 1): Float64Array {
  let state = seed >>> 0;
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const r = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = lo + (hi - lo) * r;
  }
  return out;
}

/**
 * Builds `f` on float64 inputs, reduces its output to L = sum(f(x) * r) with a fixed random r, and checks
 * dL/dx of every input against central differences with step `eps`.
 */
export async function checkGradients(
  inputs: Record<string, CheckInput>,
  f: (g: Graph, xs: Record<string, Tensor>) => Tensor,
  eps = 1e-6,
): Promise<GradCheckResult> {
  const g = new Graph("grad_check");
  const xs: Record<string, Tensor> = {};
  for (const [name, { shape }] of Object.entries(inputs)) xs[name] = g.input(name, "float64", shape);
  const y = f(g, xs);
  const yShape = y.shape.map((d) => {
    if (typeof d !== "number") throw new Error(`grad check: output shape [${y.shape}] must be static`);
    return d;
  });
  const size = yShape.reduce((a, b) => a * b, 1);
  const weights = g.initializer("probe", "float64", yShape, seededValues(size, 99));
  const loss = g.output(g.reduceSum(g.mul(y, weights), yShape.map((_, i) => i)), "loss");
  const names = Object.keys(inputs);
  gradients(g, loss, names.map((n) => xs[n])).forEach((dx, i) => g.output(dx, `grad_${names[i]}`));
  const session = await createSession(g.toModel().onnx, { threads: 1 });

  const feeds = (values: Record<string, Float64Array>) =>
    Object.fromEntries(names.map((n) => [n, new ort.Tensor("float64", values[n], inputs[n].shape)]));
  const base = Object.fromEntries(names.map((n) => [n, inputs[n].values.slice()]));
  const analytic = await session.run(feeds(base));
  const lossAt = async (values: Record<string, Float64Array>) =>
    Number((await session.run(feeds(values), ["loss"])).loss.data[0]);

  let maxError = 0;
  let worst = "";
  for (const n of names) {
    const grad = analytic[`grad_${n}`].data as Float64Array;
    for (let i = 0; i < base[n].length; i++) {
      const x0 = base[n][i];
      base[n][i] = x0 + eps;
      const up = await lossAt(base);
      base[n][i] = x0 - eps;
      const down = await lossAt(base);
      base[n][i] = x0;
      const numeric = (up - down) / (2 * eps);
      const error = Math.abs(grad[i] - numeric) / Math.max(1, Math.abs(numeric));
      if (error > maxError) {
        maxError = error;
        worst = `${n}[${i}]: autodiff ${grad[i]} vs numeric ${numeric}`;
      }
    }
  }
  await session.release();
  return { maxError, worst };
}
