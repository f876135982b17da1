import assert from "node:assert/strict";
import { lossDivisor, tokenWeightArrays, type WeightedSpan } from "./token_weights.ts";

// Two rows of 6 target positions. Row 0: attempt 1 at 1..3, attempt 2 at 4..6. Row 1: one attempt at 0..2.
const spans: WeightedSpan[] = [
  { row: 0, start: 1, end: 3, policy: 0, kl: 0.1 },
  { row: 0, start: 4, end: 6, policy: 2, kl: 0.01 },
  { row: 1, start: 0, end: 2, policy: -1, kl: 0.01 },
];

Deno.test("tokenWeightArrays places each attempt's weights on its positions only", () => {
  const batch = tokenWeightArrays(spans, { rows: 2, length: 6, rollouts: 2, normalisation: "none" });
  assert.deepEqual([...batch.tokenWeights], [0, 0, 0, 0, 2, 2, -1, -1, 0, 0, 0, 0]);
  assert.deepEqual(
    [...batch.klWeights],
    [0, 0.1, 0.1, 0, 0.01, 0.01, 0.01, 0.01, 0, 0, 0, 0].map(Math.fround),
  );
  assert.deepEqual([...batch.mask], [0, 1, 1, 0, 1, 1, 1, 1, 0, 0, 0, 0]);
  assert.equal(batch.tokens, 6);
  assert.equal(batch.divisor, 1);
});

Deno.test("sequence normalisation divides by rollouts, token normalisation by weighted tokens", () => {
  const perSequence = tokenWeightArrays(spans, {
    rows: 2,
    length: 6,
    rollouts: 2,
    normalisation: "sequence",
  });
  assert.equal(perSequence.divisor, 2);
  assert.equal(perSequence.tokenWeights[4], 1);
  assert.equal(perSequence.klWeights[1], Math.fround(0.05));
  const perToken = tokenWeightArrays(spans, { rows: 2, length: 6, rollouts: 2, normalisation: "token" });
  assert.equal(perToken.divisor, 6);
  assert.equal(perToken.tokenWeights[6], Math.fround(-1 / 6));
});

Deno.test("lossDivisor never divides by zero", () => {
  assert.equal(lossDivisor("sequence", 0, 0), 1);
  assert.equal(lossDivisor("token", 3, 0), 1);
  assert.equal(lossDivisor("none", 8, 100), 1);
});

Deno.test("tokenWeightArrays rejects spans outside the batch and overlapping spans", () => {
  const shape = { rows: 2, length: 6, rollouts: 2, normalisation: "none" as const };
  assert.throws(
    () => tokenWeightArrays([{ row: 2, start: 0, end: 1, policy: 1, kl: 0 }], shape),
    /span 0 \(row 2, positions 0\.\.1\) does not fit a batch of 2 rows x 6 positions/,
  );
  assert.throws(
    () => tokenWeightArrays([{ row: 0, start: 3, end: 7, policy: 1, kl: 0 }], shape),
    /does not fit/,
  );
  assert.throws(
    () => tokenWeightArrays([spans[0], { row: 0, start: 2, end: 4, policy: 1, kl: 0 }], shape),
    /span 1 overlaps an earlier span at row 0, position 2/,
  );
});
