import assert from "node:assert/strict";
import { tinyConfig } from "../inference/testing.ts";
import { initCheckpoint } from "../model/init.ts";
import { ScoringSession, TrainingSession } from "../model/llama/sessions.ts";
import { Adam, type AdamState } from "./adam.ts";
import type { LoraTarget } from "../model/llama/decoder.ts";
import { initLoraAdapters, mergeLora } from "../model/lora.ts";
import { clonePolicy, openGenerationModel, openLoraGenerationModel } from "./policy.ts";
import { PromptEncoder } from "./prompts.ts";
import {
  rolloutRound,
  scoreAdamSettings,
  ScoreSettings,
  type ScoreTrainer,
  scoreUpdate,
  updateProblemIndices,
  weightedRows,
} from "./score_trainer.ts";
import type { SampledRollout } from "./two_attempts.ts";
import { readTrainingState, writeTrainingState } from "./training_state.ts";
import type { Problem, Verifier } from "./verifiers.ts";

const PROBLEMS: Problem[] = ["Compute 1+2.", "Compute 7-3.", "Compute 4+4.", "Compute 9-5."]
  .map((statement, i) => ({ id: `p${i}`, statement, record: {} }));

/** A real (if arbitrary) reward on the model's real outputs: right when the response has even length. */
const EVEN_LENGTH: Verifier = {
  judge: (items) => Promise.resolve(items.map(({ response }) => ({ correct: response.length % 2 === 0 }))),
};

const SETTINGS = ScoreSettings.parse({
  updates: 2,
  batch_size: 2,
  max_new_tokens: 6,
  learning_rate: 0.01,
  generation_batch_size: 8,
  microbatch_rows: 3,
});

async function trainer(scratchDir: string, adamState?: AdamState): Promise<ScoreTrainer> {
  const policy = initCheckpoint(tinyConfig({ initializer_range: 0.2 }), { seed: 11 });
  return {
    stage: "stage1",
    settings: SETTINGS,
    policy,
    reference: clonePolicy(policy),
    training: await TrainingSession.create(policy.config, { threads: 1 }),
    scoring: await ScoringSession.create(policy.config, { threads: 1 }),
    adam: new Adam(scoreAdamSettings(SETTINGS), adamState),
    problems: PROBLEMS,
    prompts: { template: "{problem}\n", style: "plain", instruction: "Fix it." },
    encoder: new PromptEncoder(policy),
    verifier: EVEN_LENGTH,
    scratchDir,
  };
}

async function release(t: ScoreTrainer): Promise<void> {
  await t.training.release();
  await t.scoring?.release();
}

Deno.test("score.stage1 resumed from a checkpoint takes the same next update as an uninterrupted run", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const straight = await trainer(`${dir}/a`);
    await scoreUpdate(straight, 0);
    const afterFirst = clonePolicy(straight.policy);
    await scoreUpdate(straight, 1);

    const first = await trainer(`${dir}/b`);
    await scoreUpdate(first, 0);
    await Deno.mkdir(`${dir}/ckpt`);
    await writeTrainingState(`${dir}/ckpt`, first.policy, first.adam.exportState());
    await release(first);
    for (const [name, data] of afterFirst.weights) {
      assert.deepEqual(first.policy.weights.get(name), data, `update 0 differs between runs at ${name}`);
    }

    const fresh = await trainer(`${dir}/c`);
    const state = await readTrainingState(`${dir}/ckpt`, fresh.policy);
    const resumed = { ...fresh, adam: new Adam(scoreAdamSettings(SETTINGS), state) };
    await scoreUpdate(resumed, 1);
    let changed = false;
    for (const [name, data] of straight.policy.weights) {
      const other = resumed.policy.weights.get(name)!;
      assert.deepEqual(other, data, `resumed update 1 differs at ${name}`);
      if (data.some((v, i) => v !== afterFirst.weights.get(name)![i])) changed = true;
    }
    assert.ok(changed, "update 1 changed no weight, so the comparison would prove nothing");
    await release(straight);
    await release(fresh);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a LoRA update trains only the adapters, and generation sees them without a rebuild", async () => {
  const dir = await Deno.makeTempDir();
  const lora = { rank: 2, alpha: 4, targets: ["q_proj", "v_proj", "up_proj"] as LoraTarget[] };
  const base = initCheckpoint(tinyConfig({ initializer_range: 0.2 }), { seed: 11 });
  const adapters = initLoraAdapters(base.config, lora, 3);
  const generation = await openLoraGenerationModel(base, lora, adapters, `${dir}/lora-graph`);
  const plain = await trainer(`${dir}/unused`);
  const loraTrainer: ScoreTrainer = {
    ...plain,
    policy: base,
    reference: base,
    training: await TrainingSession.create(base.config, { threads: 1, lora, frozen: base.weights }),
    scoring: await ScoringSession.create(base.config, { threads: 1, frozen: base.weights }),
    lora: { adapters, generation },
  };
  const baseBefore = clonePolicy(base);
  try {
    const before = new Map([...adapters].map(([name, data]) => [name, data.slice()]));
    const reports = [await scoreUpdate(loraTrainer, 0), await scoreUpdate(loraTrainer, 1)];
    assert.ok(reports.every((r) => r.times.rebuild === 0), "no per-update rebuild of the inference graph");
    assert.ok([...adapters].some(([name, data]) => data.some((v, i) => v !== before.get(name)![i])));
    for (const [name, data] of baseBefore.weights) assert.deepEqual(base.weights.get(name), data, name);
    // the generation graph fed the trained adapters samples as a graph rebuilt from the merged weights
    const merged = { ...base, weights: mergeLora(base.weights, { options: lora, tensors: adapters }) };
    const rebuilt = await openGenerationModel(merged, `${dir}/merged-graph`);
    try {
      const requests = PROBLEMS.map((p, i) => ({
        key: i,
        promptIds: plain.encoder.prompt({ prompt: p.statement }),
      }));
      const settings = {
        maxNewTokens: 10,
        temperature: 0,
        topP: 1,
        topK: 0,
        n: 1,
        seed: 0,
        stop: [],
        batchSize: 4,
        eosTokenIds: [],
        memoryBudgetBytes: 1 << 30,
      };
      const fromAdapters = await generation.generator.generate(requests, settings);
      const fromMerged = await rebuilt.generator.generate(requests, settings);
      assert.deepEqual(fromAdapters.map(([c]) => c.tokenIds), fromMerged.map(([c]) => c.tokenIds));
    } finally {
      await rebuilt.close();
    }
  } finally {
    await generation.close();
    await release(loraTrainer);
    await release(plain);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SCoRe training refuses rollout temperatures other than 1 (the graphs score at temperature 1)", () => {
  assert.equal(ScoreSettings.parse({ temperature: 1 }).temperature, 1);
  assert.equal(ScoreSettings.parse({}).temperature, 1);
  for (const temperature of [0, 0.7, 1.3]) {
    const parsed = ScoreSettings.safeParse({ temperature });
    assert.ok(!parsed.success, `temperature ${temperature} was accepted`);
    assert.match(parsed.error.issues[0].message, /temperature 1 only/);
  }
});

Deno.test("each stage draws its own problems and sampling keys from the same seed", () => {
  const settings = { batch_size: 8, seed: 3 };
  const stage1 = updateProblemIndices("stage1", settings, 100, 0);
  const stage2 = updateProblemIndices("stage2", settings, 100, 0);
  assert.deepEqual(updateProblemIndices("stage1", settings, 100, 0), stage1, "a stage's batches are fixed");
  assert.notDeepEqual(stage2, stage1, "Stage II's first batch replays Stage I's");
  assert.notDeepEqual(updateProblemIndices("single_turn", settings, 100, 0), stage1);
  assert.notDeepEqual(updateProblemIndices("stage1", settings, 100, 1), stage1);
  assert.notEqual(rolloutRound("stage1", 0), rolloutRound("stage2", 0));
});

Deno.test("weightedRows: several second attempts share one attempt-1 row", () => {
  const attempt = (text: string, correct: boolean) => ({
    text,
    correct,
    contextIds: [1, 2],
    tokenIds: [...text].map((c) => c.charCodeAt(0)),
  });
  const problem = PROBLEMS[0];
  const first = attempt("x", false);
  const rollouts: SampledRollout[] = [
    { problem, sample: 0, attempt1: first, attempt2: attempt("a", true) },
    { problem, sample: 0, secondSample: 1, attempt1: first, attempt2: attempt("b", false) },
  ];
  const settings = ScoreSettings.parse({ baseline: "second_attempt_mean", second_attempts: 2 });
  const rows = weightedRows("stage2", rollouts, settings);
  assert.deepEqual(rows.map((r) => [String.fromCharCode(...r.completion), r.policy]), [
    ["x", 0],
    ["a", 11], // shaped 11, baseline: its sibling's shaped reward, 0
    ["b", -11],
  ]);
});
