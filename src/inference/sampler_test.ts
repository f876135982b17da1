import assert from "node:assert/strict";
import { sequenceRng } from "./rng.ts";
import { GREEDY, type SamplingSettings, TokenSampler, validateSampling } from "./sampler.ts";

const LOGITS = Float32Array.from([1.0, 3.0, 2.5, -1.0, 0.5, 3.0, 0.0, 2.0]);

function logSoftmax(logits: Float32Array, temperature = 1): number[] {
  const scaled = Array.from(logits, (v) => v / temperature);
  const max = Math.max(...scaled);
  const lse = max + Math.log(scaled.reduce((sum, v) => sum + Math.exp(v - max), 0));
  return scaled.map((v) => v - lse);
}

function frequencies(settings: SamplingSettings, draws: number): number[] {
  const sampler = new TokenSampler(LOGITS.length);
  const rng = sequenceRng(7, "freq", 0);
  const counts = new Array(LOGITS.length).fill(0);
  for (let i = 0; i < draws; i++) counts[sampler.choose(LOGITS, 0, settings, rng).token]++;
  return counts.map((c) => c / draws);
}

Deno.test("greedy picks the first largest logit with sampling log-probability 0 and the raw log-softmax", () => {
  const choice = new TokenSampler(LOGITS.length).choose(LOGITS, 0, GREEDY, sequenceRng(1, 0, 0));
  assert.equal(choice.token, 1);
  assert.equal(choice.logprob, 0);
  assert.ok(Math.abs(choice.rawLogprob - logSoftmax(LOGITS)[1]) < 1e-6);
});

Deno.test("a row is read at its offset in a batch of logits", () => {
  const batch = new Float32Array(LOGITS.length * 2);
  batch.set(LOGITS.map((v) => -v), 0);
  batch.set(LOGITS, LOGITS.length);
  const choice = new TokenSampler(LOGITS.length).choose(batch, LOGITS.length, GREEDY, sequenceRng(1, 0, 0));
  assert.equal(choice.token, 1);
});

Deno.test("temperature sampling matches the softmax frequencies and reports both log-probabilities", () => {
  const settings = { temperature: 0.7, topP: 1, topK: 0 };
  const expected = logSoftmax(LOGITS, 0.7).map(Math.exp);
  frequencies(settings, 40000).forEach((f, i) => assert.ok(Math.abs(f - expected[i]) < 0.01, `token ${i}`));
  const choice = new TokenSampler(LOGITS.length).choose(LOGITS, 0, settings, sequenceRng(3, "x", 0));
  assert.ok(Math.abs(choice.logprob - logSoftmax(LOGITS, 0.7)[choice.token]) < 1e-6);
  assert.ok(Math.abs(choice.rawLogprob - logSoftmax(LOGITS)[choice.token]) < 1e-6);
});

Deno.test("top-k keeps only the k most likely tokens and renormalises over them", () => {
  const counts = frequencies({ temperature: 1, topP: 1, topK: 3 }, 20000);
  // the three largest logits are tokens 1 and 5 (3.0, tie) and 2 (2.5)
  counts.forEach((f, i) => assert.equal(f > 0, [1, 2, 5].includes(i), `token ${i}`));
  const raw = logSoftmax(LOGITS).map(Math.exp);
  const kept = raw[1] + raw[2] + raw[5];
  const choice = new TokenSampler(LOGITS.length).choose(
    LOGITS,
    0,
    { temperature: 1, topP: 1, topK: 3 },
    sequenceRng(5, 0, 0),
  );
  assert.ok(Math.abs(choice.logprob - Math.log(raw[choice.token] / kept)) < 1e-6);
});

Deno.test("top-p keeps the smallest most-likely set reaching the mass p", () => {
  const probs = logSoftmax(LOGITS).map(Math.exp);
  // descending: 1, 5 (tie, lower id first), 2, 7, 0, ...
  const p = probs[1] + probs[5] + 0.5 * probs[2];
  const counts = frequencies({ temperature: 1, topP: p, topK: 0 }, 20000);
  counts.forEach((f, i) => assert.equal(f > 0, [1, 2, 5].includes(i), `token ${i}`));
});

Deno.test("top-p grows its candidate set beyond the first partial selection on a flat distribution", () => {
  const vocab = 1000;
  const flat = new Float32Array(vocab);
  const sampler = new TokenSampler(vocab);
  const rng = sequenceRng(11, 0, 0);
  const seen = new Set<number>();
  for (let i = 0; i < 3000; i++) {
    seen.add(sampler.choose(flat, 0, { temperature: 1, topP: 0.9, topK: 0 }, rng).token);
  }
  assert.ok(seen.size > 800, `expected most of the 900 kept tokens, saw ${seen.size}`);
  assert.ok([...seen].every((t) => t < 900), "ties are ranked by token id, so ids >= 900 are cut");
});

Deno.test("the same seed, key and sample index give the same draws; others differ", () => {
  const settings = { temperature: 1, topP: 0.95, topK: 5 };
  const draw = (key: string, sample: number) => {
    const rng = sequenceRng(42, key, sample);
    const sampler = new TokenSampler(LOGITS.length);
    return Array.from({ length: 32 }, () => sampler.choose(LOGITS, 0, settings, rng).token);
  };
  assert.deepEqual(draw("a", 0), draw("a", 0));
  assert.notDeepEqual(draw("a", 0), draw("a", 1));
  assert.notDeepEqual(draw("a", 0), draw("b", 0));
});

Deno.test("bad sampling settings are rejected with the field's name", () => {
  assert.throws(() => validateSampling({ temperature: -1, topP: 1, topK: 0 }), /temperature/);
  assert.throws(() => validateSampling({ temperature: 1, topP: 0, topK: 0 }), /top_p/);
  assert.throws(() => validateSampling({ temperature: 1, topP: 1, topK: 1.5 }), /top_k/);
});
