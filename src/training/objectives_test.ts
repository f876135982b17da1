/**
 * The objectives' weights checked against closed-form gradients on a tiny two-attempt softmax policy.
 *
 * The policy answers each attempt with one token, 0 (wrong) or 1 (right), so r(y) = y:
 *   attempt 1: pi1 = softmax(a),            a = params[0..2)
 *   attempt 2: pi2(. | y1) = softmax(b[y1]), b[0] = params[2..4), b[1] = params[4..6)
 * A rollout is one batch row with two target positions (attempt 1's token, then attempt 2's), the loss is the
 * training graph's: sum(-token_weights * logp) + sum(kl_weights * k3(logp, ref)), its gradient is taken by
 * central differences (as autodiff would, samples held fixed), and its expectation by enumerating every
 * outcome. With k3's pathwise gradient the KL terms contribute the gradient of KL(ref || pi), which for softmax
 * logits is pi - ref; so, writing e1 = (0, 1):
 *
 * Stage I,  J = E[r2] - beta2 KL1 - beta1 KL2:
 *   dJ/da    = -beta2 (pi1 - ref1)
 *   dJ/db[y] = pi1(y) [ pi2(1|y) (e1 - pi2(.|y)) - beta1 (pi2(.|y) - ref2(.|y)) ]
 * Stage II, J = E[r1] + E[r2 + alpha (r2 - r1)] - beta1 (KL1 + KL2):
 *   dJ/da    = pi1(1) (e1 - pi1) - beta1 (pi1 - ref1)
 *   dJ/db[y] = pi1(y) [ (1 + alpha) pi2(1|y) (e1 - pi2(.|y)) - beta1 (pi2(.|y) - ref2(.|y)) ]
 * (the -alpha r1 part of the bonus is constant given y1, so its expected gradient vanishes).
 * The expected gradient of the loss must equal -dJ.
 */
import assert from "node:assert/strict";
import {
  chooseBaseAttempts,
  leaveOneOutBaselines,
  ObjectiveSettings,
  type RolloutRewards,
  type RolloutWeights,
  shapedReward,
  singleTurnWeights,
  stage1Weights,
  stage2Weights,
} from "./objectives.ts";
import { k3 } from "./kl.ts";
import { tokenWeightArrays, type WeightedSpan } from "./token_weights.ts";
import { assertAllClose, assertClose, numericGradient, seededUniform } from "./testing.ts";

function softmax(logits: readonly number[]): number[] {
  const max = Math.max(...logits);
  const exps = logits.map((z) => Math.exp(z - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}

/** The tiny policy's distributions for a parameter vector of 6 numbers. */
function distributions(params: readonly number[]): { pi1: number[]; pi2: number[][] } {
  return {
    pi1: softmax(params.slice(0, 2)),
    pi2: [softmax(params.slice(2, 4)), softmax(params.slice(4, 6))],
  };
}

const params = [0.3, -0.2, 0.8, -0.5, -0.4, 0.9];
const ref1 = [0.6, 0.4];
const ref2 = [[0.7, 0.3], [0.2, 0.8]];
const settings = ObjectiveSettings.parse({ alpha: 10, beta1: 0.05, beta2: 0.4 });

/** One sampled two-attempt outcome of a rollout: its tokens. */
interface Outcome {
  y1: number;
  y2: number;
}

/** The training graph's loss for a batch of outcomes, one row of two target positions per rollout. */
function graphLoss(
  p: readonly number[],
  outcomes: readonly Outcome[],
  weights: readonly RolloutWeights[],
): number {
  const spans: WeightedSpan[] = weights.flatMap((w, row) => [
    { row, start: 0, end: 1, ...w.attempt1 },
    { row, start: 1, end: 2, ...w.attempt2 },
  ]);
  const batch = tokenWeightArrays(spans, {
    rows: outcomes.length,
    length: 2,
    rollouts: outcomes.length,
    normalisation: "sequence",
  });
  const { pi1, pi2 } = distributions(p);
  let loss = 0;
  outcomes.forEach(({ y1, y2 }, row) => {
    const logprobs = [Math.log(pi1[y1]), Math.log(pi2[y1][y2])];
    const refs = [Math.log(ref1[y1]), Math.log(ref2[y1][y2])];
    for (let t = 0; t < 2; t++) {
      const at = row * 2 + t;
      loss += -batch.tokenWeights[at] * logprobs[t] + batch.klWeights[at] * k3(logprobs[t], refs[t]);
    }
  });
  return loss;
}

/** Every outcome of one rollout with its probability; attempt 1 from `first` (the policy or the base). */
function outcomes(first: readonly number[], pi2: readonly number[][]): { outcome: Outcome; prob: number }[] {
  const all = [];
  for (const y1 of [0, 1]) {
    for (const y2 of [0, 1]) all.push({ outcome: { y1, y2 }, prob: first[y1] * pi2[y1][y2] });
  }
  return all;
}

type WeightsOf = (rollouts: RolloutRewards[]) => RolloutWeights[];

/** E[grad loss] for batches of `samples` independent rollouts of one problem, by full enumeration. */
function expectedLossGradient(weightsOf: WeightsOf, samples: number, fromBase = false): number[] {
  const { pi1, pi2 } = distributions(params);
  const single = outcomes(fromBase ? ref1 : pi1, pi2);
  let batches: { outcomes: Outcome[]; prob: number }[] = [{ outcomes: [], prob: 1 }];
  for (let s = 0; s < samples; s++) {
    batches = batches.flatMap((batch) =>
      single.map(({ outcome, prob }) => ({ outcomes: [...batch.outcomes, outcome], prob: batch.prob * prob }))
    );
  }
  const total = params.map(() => 0);
  for (const batch of batches) {
    const rewards = batch.outcomes.map(({ y1, y2 }) => ({
      problem: "p",
      reward1: y1,
      reward2: y2,
      attempt1FromBase: fromBase,
    }));
    const weights = weightsOf(rewards);
    const gradient = numericGradient((p) => graphLoss(p, batch.outcomes, weights), params);
    gradient.forEach((g, i) => total[i] += batch.prob * g);
  }
  return total;
}

/** The closed-form dJ/db[y] block shared by both stages, scaled by the probability of reaching y. */
function attempt2Gradient(reach: readonly number[], rewardScale: number, beta: number): number[] {
  const { pi2 } = distributions(params);
  return [0, 1].flatMap((y) => {
    const p = pi2[y];
    return [0, 1].map((k) =>
      reach[y] * (rewardScale * p[1] * ((k === 1 ? 1 : 0) - p[k]) - beta * (p[k] - ref2[y][k]))
    );
  });
}

function stage1ClosedForm(reach: readonly number[], attempt1Kl: number): number[] {
  const { pi1 } = distributions(params);
  const da = [0, 1].map((k) => -attempt1Kl * (pi1[k] - ref1[k]));
  return [...da, ...attempt2Gradient(reach, 1, settings.beta1)];
}

function stage2ClosedForm(): number[] {
  const { pi1 } = distributions(params);
  const da = [0, 1].map((k) => pi1[1] * ((k === 1 ? 1 : 0) - pi1[k]) - settings.beta1 * (pi1[k] - ref1[k]));
  return [...da, ...attempt2Gradient(pi1, 1 + settings.alpha, settings.beta1)];
}

const negate = (values: number[]) => values.map((v) => -v);

Deno.test("Stage I weights give the closed-form Stage I gradient", () => {
  const { pi1 } = distributions(params);
  const expected = negate(stage1ClosedForm(pi1, settings.beta2));
  const actual = expectedLossGradient((r) => stage1Weights(r, settings), 1);
  assertAllClose(actual, expected, 1e-8, "stage I gradient");
});

Deno.test("Stage II weights give the closed-form Stage II gradient, reward shaping included", () => {
  const actual = expectedLossGradient((r) => stage2Weights(r, settings), 1);
  assertAllClose(actual, negate(stage2ClosedForm()), 1e-8, "stage II gradient");
});

Deno.test("the leave-one-out baseline leaves the expected gradient unchanged (two samples per problem)", () => {
  const loo = ObjectiveSettings.parse({ ...settings, baseline: "leave_one_out" });
  const stage1 = expectedLossGradient((r) => stage1Weights(r, loo), 2);
  const { pi1 } = distributions(params);
  assertAllClose(stage1, negate(stage1ClosedForm(pi1, settings.beta2)), 1e-8, "stage I with baseline");
  const stage2 = expectedLossGradient((r) => stage2Weights(r, loo), 2);
  assertAllClose(stage2, negate(stage2ClosedForm()), 1e-8, "stage II with baseline");
});

Deno.test("attempt 1 from the base model trains only attempt 2, reached with the base model's odds", () => {
  // Attempt 1 is off-policy: no gradient on a (no policy weight, no KL), and attempt 2's gradient is weighted
  // by ref1, the probability that the base model reached y1.
  const actual = expectedLossGradient((r) => stage1Weights(r, settings), 1, true);
  assertAllClose(actual, negate(stage1ClosedForm(ref1, 0)), 1e-8, "stage I, base attempts");
  const stage2 = expectedLossGradient((r) => stage2Weights(r, settings), 1, true);
  const expected = [0, 0, ...attempt2Gradient(ref1, 1 + settings.alpha, settings.beta1)];
  assertAllClose(stage2, negate(expected), 1e-8, "stage II, base attempts");
});

Deno.test("single-turn weights give the gradient of E[r] - beta1 KL for one attempt", () => {
  const { pi1 } = distributions(params);
  let expected = [0, 0];
  const actual = [0, 0];
  for (const y of [0, 1]) {
    const [weights] = singleTurnWeights([{ problem: "p", reward: y }], settings);
    const loss = (a: number[]) => {
      const logp = Math.log(softmax(a)[y]);
      return -weights.policy * logp + weights.kl * k3(logp, Math.log(ref1[y]));
    };
    numericGradient(loss, params.slice(0, 2)).forEach((g, i) => actual[i] += pi1[y] * g);
  }
  expected = [0, 1].map((k) =>
    -(pi1[1] * ((k === 1 ? 1 : 0) - pi1[k]) - settings.beta1 * (pi1[k] - ref1[k]))
  );
  assertAllClose(actual, expected, 1e-8, "single-turn gradient");
});

Deno.test("per-rollout weights on a hand-checked batch", () => {
  const rollouts: RolloutRewards[] = [
    { problem: "a", reward1: 0, reward2: 1 },
    { problem: "a", reward1: 1, reward2: 0 },
    { problem: "b", reward1: 1, reward2: 1, attempt1FromBase: true },
  ];
  assert.deepEqual(stage1Weights(rollouts, settings), [
    { attempt1: { policy: 0, kl: 0.4 }, attempt2: { policy: 1, kl: 0.05 } },
    { attempt1: { policy: 0, kl: 0.4 }, attempt2: { policy: 0, kl: 0.05 } },
    { attempt1: { policy: 0, kl: 0 }, attempt2: { policy: 1, kl: 0.05 } },
  ]);
  // Shaped rewards: 1 + 10 * 1 = 11, 0 + 10 * -1 = -10, 1 + 0 = 1.
  assert.deepEqual(stage2Weights(rollouts, settings), [
    { attempt1: { policy: 0, kl: 0.05 }, attempt2: { policy: 11, kl: 0.05 } },
    { attempt1: { policy: 1, kl: 0.05 }, attempt2: { policy: -10, kl: 0.05 } },
    { attempt1: { policy: 0, kl: 0 }, attempt2: { policy: 1, kl: 0.05 } },
  ]);
  const loo = ObjectiveSettings.parse({ ...settings, baseline: "leave_one_out" });
  // Problem a: attempt 2's shaped rewards 11 and -10 are each other's baselines; problem b has one sample.
  const withBaseline = stage2Weights(rollouts, loo);
  assert.deepEqual(withBaseline.map((w) => w.attempt2.policy), [21, -21, 1]);
  assert.deepEqual(withBaseline.map((w) => w.attempt1.policy), [-1, 1, 0]);
});

Deno.test("shapedReward adds alpha times the improvement", () => {
  assert.equal(shapedReward(0, 1, 10), 11);
  assert.equal(shapedReward(1, 0, 10), -10);
  assert.equal(shapedReward(1, 1, 10), 1);
  assert.equal(shapedReward(0, 0, 10), 0);
});

Deno.test("leaveOneOutBaselines averages the other included samples of the same group", () => {
  assert.deepEqual(leaveOneOutBaselines([1, 0, 1, 5], ["x", "x", "x", "y"]), [0.5, 1, 0.5, 0]);
  // The excluded sample gets the mean of the others and does not count in theirs.
  assert.deepEqual(leaveOneOutBaselines([1, 0, 4], ["x", "x", "x"], [true, true, false]), [0, 1, 0.5]);
  assert.throws(() => leaveOneOutBaselines([1, 2], ["x"]), /2 values but 1 groups/);
});

Deno.test("chooseBaseAttempts picks exactly the share, reproducibly", () => {
  const first = chooseBaseAttempts(10, 0.3, seededUniform(1));
  assert.equal(first.filter(Boolean).length, 3);
  assert.deepEqual(chooseBaseAttempts(10, 0.3, seededUniform(1)), first);
  assert.deepEqual(chooseBaseAttempts(4, 0, seededUniform(1)), [false, false, false, false]);
  assert.deepEqual(chooseBaseAttempts(3, 1, seededUniform(1)), [true, true, true]);
  assert.throws(() => chooseBaseAttempts(3, 1.5, seededUniform(1)), /outside \[0, 1\]/);
});

Deno.test("the paper's settings are the defaults", () => {
  assert.deepEqual(ObjectiveSettings.parse({}), {
    alpha: 10,
    beta1: 0.01,
    beta2: 0.1,
    baseline: "none",
    stage2_scale: "none",
  });
  assertClose(settings.beta2, 0.4, 0);
});

Deno.test("second_attempt_mean: attempt 2's advantage is (1 + alpha)(r2 - mean of its siblings), free of r1", () => {
  const base = ObjectiveSettings.parse({ alpha: 10, beta1: 0.01, baseline: "second_attempt_mean" });
  // two first attempts of one problem (r1 = 0 and r1 = 1), each followed by three second attempts
  const rollouts: RolloutRewards[] = [
    { problem: "p", reward1: 0, reward2: 1, attempt1Key: "p#0" },
    { problem: "p", reward1: 0, reward2: 0, attempt1Key: "p#0", attempt1Repeat: true },
    { problem: "p", reward1: 0, reward2: 0, attempt1Key: "p#0", attempt1Repeat: true },
    { problem: "p", reward1: 1, reward2: 1, attempt1Key: "p#1" },
    { problem: "p", reward1: 1, reward2: 1, attempt1Key: "p#1", attempt1Repeat: true },
    { problem: "p", reward1: 1, reward2: 0, attempt1Key: "p#1", attempt1Repeat: true },
  ];
  const weights = stage2Weights(rollouts, base);
  const expected2 = [1, -0.5, -0.5, 0.5, 0.5, -1].map((x) => 11 * x);
  assertAllClose(weights.map((w) => w.attempt2.policy), expected2, 1e-12);
  // attempt 1 counted once per first attempt, with the leave-one-out baseline over the problem's first attempts
  assert.deepEqual(weights.map((w) => w.attempt1), [
    { policy: -1, kl: 0.01 },
    { policy: 0, kl: 0 },
    { policy: 0, kl: 0 },
    { policy: 1, kl: 0.01 },
    { policy: 0, kl: 0 },
    { policy: 0, kl: 0 },
  ]);
  const stage1 = stage1Weights(rollouts, { ...base, beta2: 0.1 });
  assertAllClose(stage1.map((w) => w.attempt2.policy), [1, -0.5, -0.5, 0.5, 0.5, -1], 1e-12);
  assert.deepEqual(stage1.map((w) => w.attempt1.kl), [0.1, 0, 0, 0.1, 0, 0]);
  assert.throws(
    () => stage2Weights([{ problem: "p", reward1: 0, reward2: 1, attempt1Key: "p#0" }], base),
    /set second_attempts to 2 or more/,
  );
});

Deno.test("stage2_scale one_plus_alpha divides both attempts' policy weights by 1 + alpha, not the KL", () => {
  const rollouts: RolloutRewards[] = [
    { problem: "a", reward1: 0, reward2: 1 },
    { problem: "b", reward1: 1, reward2: 0 },
    { problem: "c", reward1: 1, reward2: 1 },
  ];
  const plain = stage2Weights(rollouts, ObjectiveSettings.parse({ alpha: 4 }));
  const scaled = stage2Weights(
    rollouts,
    ObjectiveSettings.parse({ alpha: 4, stage2_scale: "one_plus_alpha" }),
  );
  assert.deepEqual(plain.map((w) => w.attempt2.policy), [5, -4, 1]);
  assertAllClose(scaled.map((w) => w.attempt2.policy), [1, -0.8, 0.2], 1e-12);
  assertAllClose(scaled.map((w) => w.attempt1.policy), [0, 0.2, 0.2], 1e-12);
  assert.deepEqual(scaled.map((w) => w.attempt1.kl), plain.map((w) => w.attempt1.kl));
  assert.deepEqual(scaled.map((w) => w.attempt2.kl), plain.map((w) => w.attempt2.kl));
});
