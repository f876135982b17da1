import assert from "node:assert/strict";
import { tinyConfig } from "../inference/testing.ts";
import { initCheckpoint } from "../model/init.ts";
import { checkAnswer } from "../verify/math/check.ts";
import { selfCorrectionMetrics } from "./metrics.ts";
import { openGenerationModel } from "./policy.ts";
import { PromptEncoder, secondPrompt } from "./prompts.ts";
import { verdictPairs } from "./rollout.ts";
import { RolloutMemoryBudgetMb, sampleRollouts } from "./two_attempts.ts";
import { mathVerifier } from "./math_verifier.ts";
import { readProblems } from "./verifiers.ts";

const RECORDS = [
  { id: "a", problem: "Compute 1+2.", answer: "3" },
  { id: "b", problem: "Compute 5-1.", answer: "4" },
  { id: "c", problem: "Compute 2+2.", answer: "4" },
];
const PROMPTS = { template: "{problem}\n", style: "plain" as const, instruction: "Fix it." };

Deno.test("greedy two-attempt evaluation: contexts, verdicts and metrics on a fixed tiny case", async () => {
  const dir = await Deno.makeTempDir();
  const policy = initCheckpoint(tinyConfig(), { seed: 2 });
  const model = await openGenerationModel(policy, dir);
  try {
    const encoder = new PromptEncoder(policy);
    const fields = { id: "id", statement: "problem", answer: "answer" };
    const problems = readProblems(RECORDS, fields);
    const sampling = {
      temperature: 0,
      maxNewTokens: 12,
      samples: 1,
      seed: 0,
      round: "eval",
      memoryBudgetBytes: 1 << 30,
    };
    const models = { policy: model, encoder, verifier: mathVerifier(fields), prompts: PROMPTS };
    const rollouts = await sampleRollouts(problems, models, { ...sampling, batchSize: 3 });
    const oneByOne = await sampleRollouts(problems, models, { ...sampling, batchSize: 1 });
    assert.deepEqual(oneByOne.map((r) => r.attempt2!.text), rollouts.map((r) => r.attempt2!.text));
    rollouts.forEach((r, i) => {
      assert.deepEqual(
        r.attempt2!.contextIds,
        encoder.prompt(secondPrompt(RECORDS[i].problem, r.attempt1.text, PROMPTS)),
      );
      assert.equal(r.attempt1.correct, checkAnswer(r.attempt1.text, RECORDS[i].answer).correct);
      assert.equal(r.attempt2!.correct, checkAnswer(r.attempt2!.text, RECORDS[i].answer).correct);
    });
    // A random model answers none of them: both accuracies 0, no transitions.
    const metrics = selfCorrectionMetrics(verdictPairs(rollouts.map((r) => ({
      id: r.problem.id,
      problem: r.problem.statement,
      attempt1: r.attempt1,
      attempt2: r.attempt2!,
    }))));
    assert.deepEqual(metrics, {
      problems: 3,
      accuracyT1: 0,
      accuracyT2: 0,
      delta: 0,
      incorrectToCorrect: 0,
      correctToIncorrect: 0,
    });
  } finally {
    await model.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/** Runs `check` with a tiny random policy's generation model and the models of a rollout round over RECORDS. */
async function withTinyRollouts(
  check: (
    models: Parameters<typeof sampleRollouts>[1],
    problems: ReturnType<typeof readProblems>,
    model: Awaited<ReturnType<typeof openGenerationModel>>,
  ) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  const policy = initCheckpoint(tinyConfig(), { seed: 2 });
  const model = await openGenerationModel(policy, dir);
  try {
    const fields = { id: "id", statement: "problem", answer: "answer" };
    const models = {
      policy: model,
      encoder: new PromptEncoder(policy),
      verifier: mathVerifier(fields),
      prompts: PROMPTS,
    };
    await check(models, readProblems(RECORDS, fields), model);
  } finally {
    await model.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the rollout memory budget is a setting: a batch over it is refused before sampling", async () => {
  await withTinyRollouts(async (models, problems, model) => {
    assert.equal(model.generator.session.lastLogitsOnly, true);
    const sampling = { temperature: 0, maxNewTokens: 12, samples: 1, seed: 0, round: "eval", batchSize: 3 };
    await assert.rejects(
      () => sampleRollouts(problems, models, { ...sampling, memoryBudgetBytes: 1024 }),
      /over the memory budget of 0\.0 MiB.*memory_budget_mb/,
    );
    assert.equal(RolloutMemoryBudgetMb.parse(undefined), 8192);
  });
});

Deno.test("several second attempts per first attempt share it; the first keeps the single-sample draw", async () => {
  await withTinyRollouts(async (models, problems) => {
    const sampling = {
      temperature: 1,
      maxNewTokens: 12,
      samples: 1,
      seed: 5,
      round: "r",
      batchSize: 8,
      memoryBudgetBytes: 1 << 30,
    };
    const single = await sampleRollouts(problems, models, sampling);
    const triple = await sampleRollouts(problems, models, { ...sampling, secondSamples: 3 });
    assert.equal(triple.length, 9);
    assert.deepEqual(triple.map((r) => [r.problem.id, r.secondSample]), [
      ["a", undefined],
      ["a", 1],
      ["a", 2],
      ["b", undefined],
      ["b", 1],
      ["b", 2],
      ["c", undefined],
      ["c", 1],
      ["c", 2],
    ]);
    for (let i = 0; i < 3; i++) {
      const group = triple.slice(3 * i, 3 * i + 3);
      assert.ok(group.every((r) => r.attempt1 === group[0].attempt1), "the siblings share one attempt 1");
      assert.equal(group[0].attempt2!.text, single[i].attempt2!.text);
      assert.equal(new Set(group.map((r) => r.attempt2!.text)).size, 3, "siblings drew the same text");
    }
  });
});
