import assert from "node:assert/strict";
import { selfCorrectionMetrics, type VerdictPair } from "./metrics.ts";

function pairs(spec: string): VerdictPair[] {
  // Each pair is two characters, "c" (correct) or "i" (incorrect), for attempts 1 and 2.
  return spec.split(" ").map((code, i) => ({
    problem: `p${i}`,
    first: code[0] === "c",
    second: code[1] === "c",
  }));
}

Deno.test("metrics of a hand-counted set of ten problems", () => {
  // 4 cc, 1 ci, 2 ic, 3 ii: t1 = 5/10, t2 = 6/10, i->c = 2/10, c->i = 1/10.
  const metrics = selfCorrectionMetrics(pairs("cc cc cc cc ci ic ic ii ii ii"));
  assert.deepEqual(metrics, {
    problems: 10,
    accuracyT1: 0.5,
    accuracyT2: 0.6,
    delta: 0.1,
    incorrectToCorrect: 0.2,
    correctToIncorrect: 0.1,
  });
});

Deno.test("delta equals i->c minus c->i and can be negative", () => {
  const metrics = selfCorrectionMetrics(pairs("ci ci ic cc"));
  assert.equal(metrics.delta, -0.25);
  assert.equal(metrics.delta, metrics.incorrectToCorrect - metrics.correctToIncorrect);
});

Deno.test("selfCorrectionMetrics rejects empty input and repeated problems", () => {
  assert.throws(() => selfCorrectionMetrics([]), /no verdict pairs/);
  const repeated = [...pairs("cc"), { problem: "p0", first: false, second: false }];
  assert.throws(() => selfCorrectionMetrics(repeated), /problem "p0" has more than one verdict pair/);
});
