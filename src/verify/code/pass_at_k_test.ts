import assert from "node:assert/strict";
import { meanPassAtK, passAtK } from "./pass_at_k.ts";

function binomial(n: number, k: number): number {
  let result = 1;
  for (let i = 1; i <= k; i++) result = (result * (n - k + i)) / i;
  return result;
}

function assertClose(actual: number, expected: number): void {
  assert.ok(Math.abs(actual - expected) < 1e-12, `expected ${expected}, got ${actual}`);
}

Deno.test("passAtK matches 1 - C(n-c,k)/C(n,k)", () => {
  for (const [n, c, k] of [[10, 3, 1], [10, 3, 5], [20, 0, 3], [200, 17, 10], [5, 5, 2]]) {
    assertClose(passAtK(n, c, k), 1 - binomial(n - c, k) / binomial(n, k));
  }
});

Deno.test("passAtK with k=1 is the pass fraction, and 1 when fewer than k fail", () => {
  assertClose(passAtK(8, 2, 1), 0.25);
  assert.equal(passAtK(4, 3, 2), 1);
});

Deno.test("passAtK rejects impossible counts", () => {
  assert.throws(() => passAtK(3, 4, 1), RangeError);
  assert.throws(() => passAtK(3, 1, 4), RangeError);
});

Deno.test("meanPassAtK averages problems with enough samples", () => {
  assertClose(meanPassAtK([[2, 1], [2, 2], [1, 1]], 2), 1);
  assertClose(meanPassAtK([[4, 1], [4, 0]], 1), 0.125);
});
