import assert from "node:assert/strict";
import { sequenceRng } from "../inference/rng.ts";
import { bootstrapIntervals, bootstrapReplicates, type Grouped, groupedMean, quantile } from "./bootstrap.ts";

/** The exact bootstrap distribution of the grouped mean: every draw of seeds, then of problems, enumerated. */
function exactDistribution(values: number[][]): Map<number, number> {
  const seeds = values.length;
  const out = new Map<number, number>();
  const tuples = (n: number, k: number): number[][] =>
    k === 0 ? [[]] : tuples(n, k - 1).flatMap((t) => Array.from({ length: n }, (_, i) => [...t, i]));
  /** The distribution of one drawn seed's resampled mean. */
  const perSeed = values.map((group) => {
    const dist = new Map<number, number>();
    for (const draw of tuples(group.length, group.length)) {
      const mean = draw.reduce((s, i) => s + group[i], 0) / group.length;
      dist.set(mean, (dist.get(mean) ?? 0) + group.length ** -group.length);
    }
    return [...dist];
  });
  for (const seedDraw of tuples(seeds, seeds)) {
    let partial: [number, number][] = [[0, seeds ** -seeds]];
    for (const seed of seedDraw) {
      partial = partial.flatMap(([sum, p]) =>
        perSeed[seed].map(([m, q]) => [sum + m, p * q] as [number, number])
      );
    }
    for (const [sum, p] of partial) {
      const key = Math.round((sum / seeds) * 1e9) / 1e9;
      out.set(key, (out.get(key) ?? 0) + p);
    }
  }
  return out;
}

function moments(values: ArrayLike<number>): { mean: number; variance: number } {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i] / values.length;
  let variance = 0;
  for (let i = 0; i < values.length; i++) variance += (values[i] - mean) ** 2 / values.length;
  return { mean, variance };
}

Deno.test("groupedMean averages the per-seed means", () => {
  assert.equal(groupedMean([[1, 0], [1, 1, 1, 0]]), (0.5 + 0.75) / 2);
  assert.throws(() => groupedMean([]), /no seeds/);
  assert.throws(() => groupedMean([[1], []]), /a seed has no problems/);
});

Deno.test("quantile interpolates between order statistics", () => {
  assert.equal(quantile([1, 2, 3, 4, 5], 0.5), 3);
  assert.equal(quantile([1, 2, 3, 4], 0.5), 2.5);
  assert.equal(quantile([1, 2, 3, 4], 0), 1);
  assert.equal(quantile([1, 2, 3, 4], 1), 4);
});

Deno.test("one seed: the interval matches the exact bootstrap distribution's quantiles", () => {
  // Resampling [0, 0, 1]: P(mean = 0) = 8/27 = 0.30 and P(mean <= 2/3) = 26/27 = 0.963, so the exact 2.5% and
  // 97.5% quantiles are 0 and 1; the exact variance is the plug-in variance over n: (2/9) / 3.
  const data = [[0, 0, 1]];
  const [interval] = bootstrapIntervals([data], { resamples: 20000, seed: 3 });
  assert.deepEqual(interval, { estimate: 1 / 3, low: 0, high: 1 });
  const [replicates] = bootstrapReplicates([data], { resamples: 20000, seed: 3 });
  const { mean, variance } = moments(replicates);
  assert.ok(Math.abs(mean - 1 / 3) < 0.01, `mean ${mean}`);
  assert.ok(Math.abs(variance - 2 / 27) / (2 / 27) < 0.05, `variance ${variance}`);
});

Deno.test("two stages: the resampled means follow the enumerated distribution over seeds and problems", () => {
  const data = [[0, 1], [1, 1, 0], [0, 0]];
  const exact = exactDistribution(data);
  assert.ok(Math.abs([...exact.values()].reduce((a, b) => a + b, 0) - 1) < 1e-12);
  const resamples = 40000;
  const [replicates] = bootstrapReplicates([data], { resamples, seed: 11 });
  const observed = new Map<number, number>();
  for (const r of replicates) {
    const key = Math.round(r * 1e9) / 1e9;
    observed.set(key, (observed.get(key) ?? 0) + 1 / resamples);
  }
  for (const key of observed.keys()) {
    assert.ok(exact.has(key), `resampled mean ${key} is not a possible value`);
  }
  for (const [value, p] of exact) {
    const got = observed.get(value) ?? 0;
    assert.ok(
      Math.abs(got - p) < 4 * Math.sqrt(p * (1 - p) / resamples) + 1e-3,
      `P(${value}): ${got} vs ${p}`,
    );
  }
  const exactMean = [...exact].reduce((s, [v, p]) => s + v * p, 0);
  const exactVariance = [...exact].reduce((s, [v, p]) => s + (v - exactMean) ** 2 * p, 0);
  const { mean, variance } = moments(replicates);
  assert.ok(Math.abs(mean - exactMean) < 0.005, `mean ${mean} vs ${exactMean}`);
  assert.ok(
    Math.abs(variance - exactVariance) / exactVariance < 0.04,
    `variance ${variance} vs ${exactVariance}`,
  );
});

/** Coverage of the true mean by the 95% interval over simulated data sets. */
function coverage(dataSets: number, seeds: number, problems: number, spread: number): number {
  const truth = 0.3;
  const rng = sequenceRng(7, `coverage-${seeds}`, 0);
  let covered = 0;
  for (let d = 0; d < dataSets; d++) {
    const data: Grouped = Array.from({ length: seeds }, () => {
      const p = truth + spread * (2 * rng.nextFloat() - 1);
      return Array.from({ length: problems }, () => (rng.nextFloat() < p ? 1 : 0));
    });
    const [interval] = bootstrapIntervals([data], { resamples: 400, seed: d });
    if (interval.low <= truth && truth <= interval.high) covered++;
  }
  return covered / dataSets;
}

Deno.test("coverage sanity: the 95% interval covers the true accuracy about 95% of the time", () => {
  const problemsOnly = coverage(300, 1, 100, 0);
  assert.ok(problemsOnly >= 0.9 && problemsOnly <= 0.99, `one seed: ${problemsOnly}`);
  // seeds that differ in accuracy: the interval must widen with the spread between seeds
  const overSeeds = coverage(200, 8, 40, 0.15);
  assert.ok(overSeeds >= 0.85 && overSeeds <= 0.99, `eight seeds: ${overSeeds}`);
});

Deno.test("deterministic: equal inputs and seed give equal intervals, another seed other draws", () => {
  const data = [[1, 0, 1, 1, 0, 1, 0, 0, 1, 1], [0, 1, 1, 0, 1, 1, 1, 0, 1, 1]];
  const options = { resamples: 500, seed: 5 };
  assert.deepEqual(bootstrapIntervals([data], options), bootstrapIntervals([data], options));
  const [a] = bootstrapReplicates([data], options);
  const [b] = bootstrapReplicates([data], { ...options, seed: 6 });
  assert.notDeepEqual(a, b);
});

Deno.test("columns share their resamples; mismatched shapes are refused", () => {
  const right = [[1, 0, 1], [0, 0, 1, 1]];
  const wrong = right.map((g) => g.map((v) => 1 - v));
  const [r, w] = bootstrapReplicates([right, wrong], { resamples: 200, seed: 1 });
  for (let i = 0; i < r.length; i++) assert.ok(Math.abs(r[i] + w[i] - 1) < 1e-12);
  assert.throws(
    () => bootstrapReplicates([right, [[1, 0, 1], [0]]], { resamples: 10, seed: 1 }),
    /same seeds/,
  );
  assert.throws(() => bootstrapReplicates([right], { resamples: 0, seed: 1 }), /positive integer/);
});
