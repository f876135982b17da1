/**
 * Table-driven suite of labelled answer pairs (`_pairs.ts`): every trap the issue names plus common MATH
 * answer forms, positives and negatives. Each row is [gold, response answer, expected verdict, problem?].
 */
import assert from "node:assert/strict";
import { mislabelled, PAIR_GROUPS } from "./_pairs.ts";

Deno.test("the labelled table holds at least 200 pairs with both verdicts", () => {
  const rows = PAIR_GROUPS.flatMap(([, group]) => group);
  assert.ok(rows.length >= 200, `only ${rows.length} rows`);
  assert.ok(rows.some(([, , equal]) => equal) && rows.some(([, , equal]) => !equal));
});

for (const [group, rows] of PAIR_GROUPS) {
  Deno.test(`labelled ${group} pairs`, () => {
    assert.deepEqual(mislabelled(rows), []);
  });
}
