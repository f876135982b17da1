import assert from "node:assert/strict";
import { ScoringSession } from "../model/llama/sessions.ts";
import { type Completion, type GenerationRequest, type GenerationSettings } from "./generator.ts";
import { GenerationModel } from "./model.ts";
import { type RandomModel, writeRandomModel } from "./testing.ts";

const PROMPTS = ["Hello there", "2+2=", "A much longer prompt than the others, to force left padding.", "x"];

function settings(overrides: Partial<GenerationSettings> = {}): GenerationSettings {
  return {
    maxNewTokens: 12,
    temperature: 0,
    topP: 1,
    topK: 0,
    n: 1,
    seed: 7,
    stop: [],
    batchSize: 8,
    eosTokenIds: [],
    memoryBudgetBytes: 1 << 30,
    ...overrides,
  };
}

/** Token ids must agree exactly; log-probabilities within float32 noise of padding and batching. */
function assertSameSamples(actual: Completion[][], expected: Completion[][], tolerance = 1e-4): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((samples, i) => {
    assert.equal(samples.length, expected[i].length);
    samples.forEach((sample, s) => {
      const want = expected[i][s];
      assert.deepEqual(sample.tokenIds, want.tokenIds, `prompt ${i} sample ${s}`);
      assert.equal(sample.text, want.text);
      assert.equal(sample.finishReason, want.finishReason);
      sample.rawLogprobs.forEach((lp, t) => assert.ok(Math.abs(lp - want.rawLogprobs[t]) < tolerance));
      sample.logprobs.forEach((lp, t) => assert.ok(Math.abs(lp - want.logprobs[t]) < tolerance));
    });
  });
}

Deno.test("generation on a tiny random Llama", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "generator_test_" });
  const tiny: RandomModel = await writeRandomModel(dir);
  const model = await GenerationModel.load(dir);
  const generator = model.generator;
  const requests: GenerationRequest[] = PROMPTS.map((text, i) => ({
    key: i,
    promptIds: model.tokenizer.encode(text),
  }));
  try {
    await t.step("greedy output with and without the KV cache is identical", async () => {
      const cached = await generator.generate(requests, settings());
      const uncached = await generator.generate(requests, settings({ useKvCache: false }));
      assertSameSamples(cached, uncached);
      assert.ok(cached.every(([c]) => c.tokenIds.length === 12 && c.finishReason === "length"));
    });

    await t.step(
      "batched output equals one-at-a-time output, with n samples and sequences ending early",
      async () => {
        // a fifth of the vocabulary ends a sequence, so rows leave the batch at different steps (compaction)
        const eosTokenIds = Array.from({ length: 50 }, (_, i) => i * 5);
        const sampling = settings({ temperature: 1, topK: 40, n: 3, maxNewTokens: 16, eosTokenIds });
        const single = [];
        for (const request of requests) {
          single.push(...await generator.generate([request], { ...sampling, batchSize: 1 }));
        }
        // batch size 4 holds one prompt's 3 samples at a time; 8 holds two and refills freed rows
        for (const batchSize of [4, 8, 32]) {
          assertSameSamples(await generator.generate(requests, { ...sampling, batchSize }), single);
        }
        const batched = await generator.generate(requests, sampling);
        const lengths = new Set(batched.flat().map((c) => c.tokenIds.length));
        assert.ok(lengths.size > 2, `expected sequences of different lengths, got ${[...lengths]}`);
        assert.ok(batched.flat().some((c) => c.finishReason === "eos"));
      },
    );

    await t.step("a fixed seed gives the same samples twice; another seed gives others", async () => {
      const sampling = settings({ temperature: 0.9, topP: 0.95, n: 2, maxNewTokens: 10 });
      const first = await generator.generate(requests, sampling);
      const second = await generator.generate(requests, sampling);
      assert.deepEqual(second, first);
      const other = await generator.generate(requests, { ...sampling, seed: 8 });
      assert.notDeepEqual(other.flat().map((c) => c.tokenIds), first.flat().map((c) => c.tokenIds));
      assert.notDeepEqual(first[0][0].tokenIds, first[0][1].tokenIds, "the n samples of a prompt differ");
    });

    await t.step(
      "stop strings cut the text exactly before the first occurrence and end the sequence",
      async () => {
        const [[free]] = await generator.generate([requests[0]], settings({ maxNewTokens: 24 }));
        const clean = [...free.text].findIndex((ch, i) =>
          i >= 3 && ch !== "\uFFFD" && free.text.indexOf(ch) === i
        );
        assert.ok(clean > 0, `need a character that first occurs mid-text in ${JSON.stringify(free.text)}`);
        const stop = free.text[clean];
        const [[stopped]] = await generator.generate(
          [requests[0]],
          settings({ maxNewTokens: 24, stop: [stop] }),
        );
        assert.equal(stopped.text, free.text.slice(0, free.text.indexOf(stop)));
        assert.equal(stopped.finishReason, "stop");
        assert.equal(stopped.stopString, stop);
        assert.ok(stopped.tokenIds.length < free.tokenIds.length);
        assert.deepEqual(stopped.tokenIds, free.tokenIds.slice(0, stopped.tokenIds.length));
      },
    );

    await t.step(
      "an EOS token ends its sequence, stays in the token ids and is left out of the text",
      async () => {
        const [[free]] = await generator.generate([requests[1]], settings());
        const eos = free.tokenIds[3];
        const [[ended]] = await generator.generate([requests[1]], settings({ eosTokenIds: [eos] }));
        const at = free.tokenIds.indexOf(eos);
        assert.deepEqual(ended.tokenIds, free.tokenIds.slice(0, at + 1));
        assert.equal(ended.finishReason, "eos");
        assert.equal(
          ended.text,
          model.tokenizer.decode(free.tokenIds.slice(0, at), { skipSpecialTokens: true }),
        );
      },
    );

    await t.step(
      "log-probabilities from generation equal the scoring graph's for the same tokens",
      async () => {
        const sampled = await generator.generate(
          requests,
          settings({ temperature: 1, n: 2, maxNewTokens: 10 }),
        );
        const scoring = await ScoringSession.create(tiny.config);
        try {
          for (const [i, samples] of sampled.entries()) {
            for (const sample of samples) {
              const ids = [...requests[i].promptIds, ...sample.tokenIds];
              const { logprobs } = await scoring.score(tiny.weights, {
                batch: 1,
                seq: ids.length,
                inputIds: ids,
                attentionMask: ids.map(() => 1),
                targets: [...ids.slice(1), 0],
              });
              const promptLength = requests[i].promptIds.length;
              sample.rawLogprobs.forEach((lp, t) => {
                const reference = logprobs[promptLength - 1 + t];
                assert.ok(Math.abs(lp - reference) < 1e-4, `prompt ${i} token ${t}: ${lp} vs ${reference}`);
              });
              // at temperature 1 without truncation the sampling distribution is the model's
              sample.logprobs.forEach((lp, t) => assert.ok(Math.abs(lp - sample.rawLogprobs[t]) < 1e-5));
            }
          }
        } finally {
          await scoring.release();
        }
      },
    );

    await t.step("sequences that end at their prefill never enter a decode step", async () => {
      const full = await generator.generate(requests, settings());
      for (const batchSize of [1, 2]) {
        const first = await generator.generate(requests, settings({ maxNewTokens: 1, batchSize }));
        first.forEach(([c], i) => {
          assert.deepEqual(c.tokenIds, full[i][0].tokenIds.slice(0, 1));
          assert.equal(c.finishReason, "length");
        });
      }
    });

    await t.step("a request over the memory budget is refused before any work", async () => {
      await assert.rejects(
        () => generator.generate(requests, settings({ memoryBudgetBytes: 64 * 1024 })),
        /over the memory budget of 0\.1 MiB/,
      );
    });

    await t.step("bad settings and empty prompts are rejected with the field's name", async () => {
      await assert.rejects(
        () => generator.generate(requests, settings({ n: 0 })),
        /n must be an integer >= 1/,
      );
      await assert.rejects(
        () => generator.generate([{ key: "e", promptIds: [] }], settings()),
        /"e".*has no tokens/,
      );
    });
  } finally {
    await model.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a graph with last-position logits generates token-identical samples", async () => {
  const dirAll = await Deno.makeTempDir({ prefix: "generator_all_" });
  const dirLast = await Deno.makeTempDir({ prefix: "generator_last_" });
  await writeRandomModel(dirAll, undefined, { seed: 3 });
  await writeRandomModel(dirLast, undefined, { seed: 3, logits: "last" });
  const all = await GenerationModel.load(dirAll);
  const last = await GenerationModel.load(dirLast);
  try {
    assert.equal(all.generator.session.lastLogitsOnly, false);
    assert.equal(last.generator.session.lastLogitsOnly, true);
    const requests: GenerationRequest[] = PROMPTS.map((text, i) => ({
      key: i,
      promptIds: all.tokenizer.encode(text),
    }));
    const eosTokenIds = Array.from({ length: 30 }, (_, i) => i * 7);
    for (
      const sampling of [
        settings(),
        settings({ temperature: 1, topK: 40, n: 3, maxNewTokens: 16, eosTokenIds, batchSize: 4 }),
        settings({ useKvCache: false, maxNewTokens: 6 }),
      ]
    ) {
      assertSameSamples(
        await last.generator.generate(requests, sampling),
        await all.generator.generate(requests, sampling),
        1e-5,
      );
    }
  } finally {
    await all.close();
    await last.close();
    await Deno.remove(dirAll, { recursive: true });
    await Deno.remove(dirLast, { recursive: true });
  }
});
