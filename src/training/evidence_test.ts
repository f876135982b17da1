import assert from "node:assert/strict";
import { bootstrapIntervals } from "./bootstrap.ts";
import { compareDeltas, type Evaluation, type MethodEvaluations, methodEvidence } from "./evidence.ts";

/** An evaluation from codes such as "ci": attempt 1 correct, attempt 2 incorrect; problems p0, p1, ... */
function evaluation(label: string, codes: string): Evaluation {
  return {
    label,
    pairs: codes.split(" ").map((c, i) => ({ problem: `p${i}`, first: c[0] === "c", second: c[1] === "c" })),
  };
}

const OPTIONS = { resamples: 2000, seed: 0 };

/** A method with one evaluation per (label, codes). */
function method(name: string, seeds: [string, string][]): MethodEvaluations {
  return { method: name, evaluations: seeds.map(([label, codes]) => evaluation(label, codes)) };
}

Deno.test("methodEvidence: per-seed metrics, their mean over seeds, and intervals around it", () => {
  const base = method("base", [["seed=0", "cc ci ii ii"], ["seed=1", "cc cc ic ii"]]);
  const evidence = methodEvidence(base, OPTIONS);
  assert.deepEqual(evidence.seeds, ["seed=0", "seed=1"]);
  assert.deepEqual(evidence.perSeed.map((m) => m.delta), [-0.25, 0.25]);
  assert.equal(evidence.metrics.accuracyT1.estimate, (0.5 + 0.5) / 2);
  assert.equal(evidence.metrics.accuracyT2.estimate, (0.25 + 0.75) / 2);
  assert.equal(evidence.metrics.delta.estimate, 0);
  assert.equal(evidence.metrics.incorrectToCorrect.estimate, 0.125);
  assert.equal(evidence.metrics.correctToIncorrect.estimate, 0.125);
  for (const interval of Object.values(evidence.metrics)) {
    assert.ok(
      interval.low <= interval.estimate && interval.estimate <= interval.high,
      JSON.stringify(interval),
    );
  }
  assert.ok(evidence.metrics.delta.low < 0 && evidence.metrics.delta.high > 0);
});

Deno.test("methodEvidence names the method and seed of a problem listed twice", () => {
  const twice = {
    method: "SCoRe",
    evaluations: [{ label: "seed=2", pairs: [...evaluation("", "cc").pairs, ...evaluation("", "ii").pairs] }],
  };
  assert.throws(() => methodEvidence(twice, OPTIONS), /SCoRe \(seed=2\): .*problem "p0" has more than one/);
});

Deno.test("compareDeltas: identical methods differ by exactly 0, with a zero-width interval", () => {
  const seeds: [string, string][] = [["seed=0", "cc ci ic ii ci"], ["seed=1", "ic ii cc ci cc"]];
  const comparison = compareDeltas(method("SCoRe", seeds), method("base", seeds), OPTIONS);
  assert.deepEqual(comparison.difference, { estimate: 0, low: 0, high: 0 });
  assert.equal(comparison.pairs, 10);
  assert.deepEqual(comparison.seeds, ["seed=0", "seed=1"]);
});

Deno.test("compareDeltas: the estimate is the difference of the mean Δs; pairing narrows the interval", () => {
  // Both methods share a noisy attempt 1; SCoRe fixes 3 of 20 wrong first attempts that the base keeps wrong
  // in every seed. Paired, every (seed, problem) difference is 0 or +1, so the interval stays above 0.
  const base0 = "cc ci ii ic ii cc ii ci ii cc ii ii cc ic ii cc ii ci ii cc";
  const base1 = "ii cc ci ii cc ii ic ii cc ii ci ii ii cc ii ic cc ii ci ii";
  const fix = (codes: string) =>
    codes.split(" ").map((c, i) => (c === "ii" && i % 3 === 1 ? "ic" : c)).join(" ");
  const base = method("base", [["seed=0", base0], ["seed=1", base1]]);
  const score = method("SCoRe", [["seed=0", fix(base0)], ["seed=1", fix(base1)]]);
  const comparison = compareDeltas(score, base, OPTIONS);
  const a = methodEvidence(score, OPTIONS).metrics.delta;
  const b = methodEvidence(base, OPTIONS).metrics.delta;
  assert.ok(Math.abs(comparison.difference.estimate - (a.estimate - b.estimate)) < 1e-12);
  assert.ok(comparison.difference.estimate > 0);
  assert.ok(comparison.difference.low > 0, `paired interval ${JSON.stringify(comparison.difference)}`);
  const pairedWidth = comparison.difference.high - comparison.difference.low;
  assert.ok(pairedWidth < (a.high - a.low), "narrower than either method's own Δ interval");
});

Deno.test("compareDeltas pairs by problem id, whatever the order of the records", () => {
  const seeds: [string, string][] = [["seed=0", "cc ci ic ii ci ic"]];
  const score = method("SCoRe", seeds);
  const base = method("base", [["seed=0", "ci ci ii ii cc ic"]]);
  const shuffled = {
    ...base,
    evaluations: [{ label: "seed=0", pairs: [...base.evaluations[0].pairs].reverse() }],
  };
  assert.deepEqual(compareDeltas(score, shuffled, OPTIONS), compareDeltas(score, base, OPTIONS));
});

Deno.test("compareDeltas: a single evaluation pairs with every seed of the other method", () => {
  const fixed = method("prompting", [["", "ci ii cc"]]);
  const trained = method("SCoRe", [["seed=0", "ic ii cc"], ["seed=1", "cc ic cc"]]);
  const comparison = compareDeltas(trained, fixed, OPTIONS);
  assert.deepEqual(comparison.seeds, ["seed=0", "seed=1"]);
  assert.equal(comparison.pairs, 6);
  // per problem: seed 0: (1 - -1), (0 - 0), (0 - 0); seed 1: (0 - -1), (1 - 0), (0 - 0)
  const expected = bootstrapIntervals([[[2, 0, 0], [1, 1, 0]]], OPTIONS)[0];
  assert.deepEqual(comparison.difference, expected);
});

Deno.test("compareDeltas refuses methods on other seeds or other problems", () => {
  const a = method("SCoRe", [["seed=0", "cc ci"], ["seed=1", "cc ci"]]);
  const b = method("base", [["seed=0", "cc ci"], ["seed=2", "cc ci"]]);
  assert.throws(
    () => compareDeltas(a, b, OPTIONS),
    /cannot pair 'SCoRe' \(seed=0, seed=1\) with 'base' \(seed=0, seed=2\)/,
  );
  const c = method("base", [["seed=0", "cc ci ii"], ["seed=1", "cc ci"]]);
  assert.throws(() => compareDeltas(a, c, OPTIONS), /evaluated on different problems \(for example 'p2'\)/);
});
