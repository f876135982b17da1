/**
 * Assertions shared by the training tests.
 *
 * @module
 */
import assert from "node:assert/strict";

/** Asserts |actual - expected| <= tolerance, naming `what` in the failure message. */
export function assertClose(actual: number, expected: number, tolerance: number, what = "value"): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: expected ${expected}, got ${actual} (tolerance ${tolerance})`,
  );
}

/** Asserts two number sequences have equal length and agree element-wise within `tolerance`. */
export function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: number,
  what = "array",
): void {
  assert.equal(
    actual.length,
    expected.length,
    `${what}: length ${actual.length}, expected ${expected.length}`,
  );
  for (let i = 0; i < actual.length; i++) assertClose(actual[i], expected[i], tolerance, `${what}[${i}]`);
}

/** A small seeded generator (mulberry32) returning uniform numbers in [0, 1), for reproducible tests. */
export function seededUniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Central finite differences of `f` at `at`, one coordinate at a time (step 1e-6). */
export function numericGradient(f: (x: number[]) => number, at: readonly number[]): number[] {
  const h = 1e-6;
  return at.map((_, i) => {
    const plus = [...at];
    const minus = [...at];
    plus[i] += h;
    minus[i] -= h;
    return (f(plus) - f(minus)) / (2 * h);
  });
}
