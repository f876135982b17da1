/**
 * Reverse-mode automatic differentiation over a {@link Graph}: walks the nodes between the wrt tensors and the
 * output backwards and appends, for each, the ONNX ops of its gradient rule (see `grad_rules.ts`).
 *
 * @module
 */
import { type Graph, isFloat, type Tensor } from "./graph.ts";
import { GRAD_RULES } from "./grad_rules.ts";

/**
 * Appends to `g` the gradient of `y` (seeded with `seed`, or ones) with respect to each tensor of `wrt`, and
 * returns those gradient tensors in order. A wrt tensor that `y` does not depend on gets zeros.
 */
export function gradients(g: Graph, y: Tensor, wrt: Tensor[], seed?: Tensor): Tensor[] {
  const reachable = new Set(wrt.map((t) => t.name));
  const live = g.nodes.filter((node) => {
    const touched = node.inputs.some((t) => t !== null && reachable.has(t.name));
    if (touched) { for (const out of node.outputs) if (isFloat(out.dtype)) reachable.add(out.name); }
    return touched;
  });
  const pending = new Map<string, Tensor[]>();
  const accumulate = (t: Tensor, grad: Tensor) => pending.set(t.name, [...(pending.get(t.name) ?? []), grad]);
  const total = (t: Tensor): Tensor | null => {
    const parts = pending.get(t.name);
    if (!parts) return null;
    const sum = parts.reduce((a, b) => g.add(a, b));
    pending.set(t.name, [sum]);
    return sum;
  };
  accumulate(
    y,
    seed ?? (y.shape.length === 0 ? g.scalar(1, y.dtype) : g.constantOfShape(g.shape(y), 1, y.dtype)),
  );

  for (let k = live.length - 1; k >= 0; k--) {
    const node = live[k];
    const dys = node.outputs.map(total);
    if (dys.every((d) => d === null)) continue;
    const needs = node.inputs.map((t) => t !== null && isFloat(t.dtype) && reachable.has(t.name));
    const rule = GRAD_RULES[node.opType];
    if (!rule) {
      throw new Error(
        `autodiff: no gradient rule for ONNX op ${node.opType}; add one in src/model/onnx/grad_rules.ts`,
      );
    }
    const dxs = rule(g, node, dys, needs);
    node.inputs.forEach((t, i) => {
      const dx = dxs[i];
      if (t && needs[i] && dx) accumulate(t, dx);
    });
  }
  return wrt.map((x) => total(x) ?? g.zerosLike(x));
}
