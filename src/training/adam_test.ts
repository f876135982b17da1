import assert from "node:assert/strict";
import { Adam, AdamSettings, clipScale, globalNorm } from "./adam.ts";
import { assertAllClose, assertClose } from "./testing.ts";

const settings = AdamSettings.parse({ learningRate: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8 });

function tensors(entries: Record<string, number[]>): Map<string, Float32Array> {
  return new Map(Object.entries(entries).map(([name, values]) => [name, Float32Array.from(values)]));
}

Deno.test("two Adam steps match the hand computation", () => {
  const params = tensors({ w: [1, -2] });
  const adam = new Adam(settings);
  // Step 1: the bias-corrected moments are g and g^2, so each parameter moves by lr * sign(g).
  adam.update(params, tensors({ w: [0.5, -0.1] }));
  assertAllClose(params.get("w")!, [0.9, -1.9], 1e-6, "after step 1");
  // Step 2, first element, g = -0.5:
  //   m = 0.9 * 0.05 + 0.1 * -0.5 = -0.005;   m_hat = -0.005 / 0.19 = -1/38
  //   v = 0.999 * 0.00025 + 0.001 * 0.25 = 0.00049975;   v_hat = 0.00049975 / 0.001999 = 0.25
  //   p = 0.9 - 0.1 * (-1/38) / 0.5 = 0.9 + 1/190
  // Second element, g = 0.2:
  //   m = 0.9 * -0.01 + 0.1 * 0.2 = 0.011;   v = 0.999 * 1e-5 + 0.001 * 0.04 = 4.999e-5
  //   p = -1.9 - 0.1 * (0.011 / 0.19) / sqrt(4.999e-5 / 0.001999)
  adam.update(params, tensors({ w: [-0.5, 0.2] }));
  const second = -1.9 - 0.1 * (0.011 / 0.19) / Math.sqrt(4.999e-5 / 0.001999);
  assertAllClose(params.get("w")!, [0.9 + 1 / 190, second], 1e-6, "after step 2");
  assert.equal(adam.step, 2);
});

Deno.test("AdamW decays the weights apart from the gradient; L2 mode folds the decay into it", () => {
  const decoupled = tensors({ w: [2] });
  new Adam({ ...settings, weightDecay: 0.5 }).update(decoupled, tensors({ w: [0.3] }));
  // p * (1 - 0.1 * 0.5) - 0.1 * sign(0.3) = 2 * 0.95 - 0.1
  assertClose(decoupled.get("w")![0], 1.8, 1e-6, "AdamW");
  const l2 = tensors({ w: [2] });
  new Adam({ ...settings, weightDecay: 0.5, weightDecayMode: "l2" }).update(l2, tensors({ w: [-0.3] }));
  // g = -0.3 + 0.5 * 2 = 0.7 > 0, so the first step moves by -lr.
  assertClose(l2.get("w")![0], 1.9, 1e-6, "Adam with L2");
});

Deno.test("gradients are clipped to the global norm and the moments saved with the state", () => {
  const params = tensors({ a: [0], b: [0] });
  const adam = new Adam({ ...settings, maxGradNorm: 1 });
  const stats = adam.update(params, tensors({ a: [3], b: [4] }));
  assert.equal(stats.gradNorm, 5);
  assertClose(stats.clipScale, 1 / (5 + 1e-6), 1e-12, "clip scale");
  const state = adam.exportState();
  assert.equal(state.step, 1);
  assert.deepEqual([...state.tensors.keys()].sort(), [
    "a.exp_avg",
    "a.exp_avg_sq",
    "b.exp_avg",
    "b.exp_avg_sq",
  ]);
  // m = (1 - beta1) * clipped g = 0.1 * [0.6, 0.8]
  assertClose(state.tensors.get("a.exp_avg")![0], 0.06, 1e-6, "a.exp_avg");
  assertClose(state.tensors.get("b.exp_avg_sq")![0], 0.001 * 0.64, 1e-8, "b.exp_avg_sq");
});

Deno.test("resuming from exported state gives the same updates as not stopping", () => {
  const gradients = [[0.5, -1], [0.2, 0.3], [-0.7, 0.1], [0.05, -0.4], [1.2, 0.9]].map((g) =>
    tensors({ w: g })
  );
  const straight = tensors({ w: [0.5, 0.25] });
  const straightAdam = new Adam({ ...settings, weightDecay: 0.01, maxGradNorm: 1 });
  for (const grad of gradients) straightAdam.update(straight, grad);

  const resumed = tensors({ w: [0.5, 0.25] });
  const first = new Adam({ ...settings, weightDecay: 0.01, maxGradNorm: 1 });
  for (const grad of gradients.slice(0, 3)) first.update(resumed, grad);
  const second = new Adam(first.settings, first.exportState());
  for (const grad of gradients.slice(3)) second.update(resumed, grad);

  assert.deepEqual([...resumed.get("w")!], [...straight.get("w")!]);
  assert.equal(second.step, 5);
});

Deno.test("Adam rejects mismatched gradients and foreign state with messages that name the tensor", () => {
  const adam = new Adam(settings);
  const params = tensors({ w: [1, 2] });
  assert.throws(() => adam.update(params, tensors({})), /no gradient for parameter "w"/);
  assert.throws(
    () => adam.update(params, tensors({ w: [1] })),
    /gradient of "w" has 1 elements, the parameter 2/,
  );
  assert.throws(
    () => adam.update(params, tensors({ w: [1, 1], x: [1] })),
    /gradient "x" matches no parameter/,
  );
  assert.throws(() => adam.update(params, tensors({ w: [NaN, 1] })), /gradient norm is NaN/);
  const foreign = { step: 1, tensors: tensors({ "w.exp_avg": [1, 2, 3], "w.exp_avg_sq": [1, 2, 3] }) };
  assert.throws(
    () => new Adam(settings, foreign).update(params, tensors({ w: [1, 1] })),
    /belongs to another model/,
  );
  assert.throws(
    () => new Adam(settings, { step: 1, tensors: tensors({ "w.bogus": [1] }) }),
    /not an Adam state/,
  );
});

Deno.test("globalNorm and clipScale", () => {
  assert.equal(globalNorm(tensors({ a: [3], b: [0, 4] })), 5);
  assert.equal(clipScale(0.5, 1), 1);
  assert.equal(clipScale(10, undefined), 1);
  assertClose(clipScale(2, 1), 1 / (2 + 1e-6), 1e-15, "clipScale");
});
