import assert from "node:assert/strict";
import { k3, meanK3 } from "./kl.ts";
import { assertClose, numericGradient, seededUniform } from "./testing.ts";

function softmax(logits: readonly number[]): number[] {
  const max = Math.max(...logits);
  const exps = logits.map((z) => Math.exp(z - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}

/** Exact KL(p || q) by its definition. */
function exactKl(p: readonly number[], q: readonly number[]): number {
  return p.reduce((sum, pi, i) => sum + (pi === 0 ? 0 : pi * Math.log(pi / q[i])), 0);
}

function sample(probs: readonly number[], random: () => number): number {
  let u = random();
  for (let i = 0; i < probs.length - 1; i++) {
    u -= probs[i];
    if (u < 0) return i;
  }
  return probs.length - 1;
}

const policy = [0.5, 0.25, 0.15, 0.1];
const reference = [0.25, 0.25, 0.3, 0.2];

Deno.test("k3 is zero when the models agree and positive otherwise", () => {
  assert.equal(k3(Math.log(0.3), Math.log(0.3)), 0);
  assert.ok(k3(Math.log(0.3), Math.log(0.6)) > 0);
  assert.ok(k3(Math.log(0.6), Math.log(0.3)) > 0);
  // d = ln 2: exp(d) - d - 1 = 1 - ln 2.
  assertClose(k3(Math.log(0.3), Math.log(0.6)), 1 - Math.LN2, 1e-15);
});

Deno.test("k3's expectation under pi equals the exact KL(pi || ref)", () => {
  const expectation = policy.reduce((sum, p, y) => sum + p * k3(Math.log(p), Math.log(reference[y])), 0);
  assertClose(expectation, exactKl(policy, reference), 1e-14);
});

Deno.test("k3's Monte Carlo mean converges to the exact KL within three standard errors", () => {
  const random = seededUniform(7);
  const draws = 200_000;
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < draws; i++) {
    const y = sample(policy, random);
    const value = k3(Math.log(policy[y]), Math.log(reference[y]));
    sum += value;
    sumSquares += value * value;
  }
  const mean = sum / draws;
  const standardError = Math.sqrt((sumSquares / draws - mean * mean) / draws);
  assert.ok(
    Math.abs(mean - exactKl(policy, reference)) < 3 * standardError,
    `mean ${mean}, se ${standardError}`,
  );
});

/** The expected pathwise gradient of k3 with respect to the logits z of pi = softmax(z). */
function expectedK3Gradient(logits: readonly number[], ref: readonly number[]): number[] {
  const pi = softmax(logits);
  const gradient = logits.map(() => 0);
  pi.forEach((py, y) => {
    // d k3 / d log pi(y) = 1 - exp(ref - log pi); d log pi(y) / d z = onehot(y) - pi.
    const outer = 1 - ref[y] / py;
    pi.forEach((pz, z) => gradient[z] += py * outer * ((z === y ? 1 : 0) - pz));
  });
  return gradient;
}

Deno.test("k3's expected pathwise gradient is the gradient of KL(ref || pi)", () => {
  const logits = policy.map(Math.log);
  const numeric = numericGradient((z) => exactKl(reference, softmax(z)), logits);
  expectedK3Gradient(logits, reference).forEach((g, i) => assertClose(g, numeric[i], 1e-8, `gradient[${i}]`));
});

Deno.test("near the reference, k3's gradient matches the gradient of KL(pi || ref) to second order", () => {
  const refLogits = reference.map(Math.log);
  const direction = [0.3, -0.7, 0.2, 0.5];
  const gap = (epsilon: number): number => {
    const logits = refLogits.map((z, i) => z + epsilon * direction[i]);
    const forward = numericGradient((z) => exactKl(softmax(z), reference), logits);
    const pathwise = expectedK3Gradient(logits, reference);
    return Math.hypot(...forward.map((g, i) => g - pathwise[i]));
  };
  // A second-order difference shrinks 100x when epsilon shrinks 10x.
  const ratio = gap(1e-1) / gap(1e-2);
  assert.ok(ratio > 50 && ratio < 200, `gap ratio ${ratio}`);
});

Deno.test("meanK3 averages over masked positions only", () => {
  const logprobs = [Math.log(0.5), Math.log(0.2), Math.log(0.9)];
  const refs = [Math.log(0.25), Math.log(0.1), Math.log(0.9)];
  const mask = [1, 0, 1];
  const expected = (k3(logprobs[0], refs[0]) + 0) / 2;
  assertClose(meanK3(logprobs, refs, mask), expected, 1e-15);
  assert.equal(meanK3(logprobs, refs, [0, 0, 0]), 0);
  assert.throws(() => meanK3(logprobs, refs, [1, 1]), /lengths differ/);
});
