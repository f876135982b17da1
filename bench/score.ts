/**
 * Time per SCoRe update and its split (graph rebuild, generation, verification, reference scoring, forward +
 * backward, optimizer) at the default workflow's settings: toy-math training problems, 32 problems per
 * update, 48 new tokens at temperature 1.0, Stage II weights.
 *
 *     deno run -A bench/score.ts [--model DIR] [--updates N]
 *
 * Without --model it times a freshly initialised model of the default workflow's size (its samples run to
 * the token limit, the slow case); pass a trained base model (a run's steps/base/out/model) for typical
 * lengths. The machine is shared: figures are noisy.
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { readJsonl } from "../src/data/jsonl.ts";
import type { LlamaConfig } from "../src/model/config.ts";
import { initCheckpoint } from "../src/model/init.ts";
import { ScoringSession, TrainingSession } from "../src/model/llama/sessions.ts";
import { Adam } from "../src/training/adam.ts";
import { clonePolicy, loadPolicy } from "../src/training/policy.ts";
import { PromptEncoder } from "../src/training/prompts.ts";
import {
  scoreAdamSettings,
  ScoreSettings,
  scoreUpdate,
  UPDATE_PHASES,
} from "../src/training/score_trainer.ts";
import { mathVerifier } from "../src/training/math_verifier.ts";
import { ProblemFields, readProblems } from "../src/training/verifiers.ts";

/** The default workflow's model size. */
const DEFAULT_CONFIG = {
  model_type: "llama",
  vocab_size: 259,
  hidden_size: 64,
  intermediate_size: 128,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 4,
  max_position_embeddings: 512,
  rope_theta: 10000,
  rms_norm_eps: 1e-6,
  tie_word_embeddings: false,
} as LlamaConfig;

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { model: { type: "string" }, updates: { type: "string", default: "3" } },
  });
  const updates = Number(values.updates);
  const policy = values.model ? await loadPolicy(values.model) : initCheckpoint(DEFAULT_CONFIG, { seed: 0 });
  const settings = ScoreSettings.parse({
    batch_size: 32,
    max_new_tokens: 48,
    learning_rate: 3e-4,
    max_grad_norm: 1,
    generation_batch_size: 64,
    microbatch_rows: 32,
  });
  const fields = ProblemFields.parse({});
  const scratch = await Deno.makeTempDir({ prefix: "bench-score-" });
  const trainer = {
    stage: "stage2" as const,
    settings,
    policy,
    reference: clonePolicy(policy),
    training: await TrainingSession.create(policy.config),
    scoring: await ScoringSession.create(policy.config),
    adam: new Adam(scoreAdamSettings(settings)),
    problems: readProblems(await readJsonl("datasets/toy-math/train.jsonl"), fields),
    prompts: {
      template: "{problem}\n",
      style: "plain" as const,
      instruction: "Check the solution above; fix any error and rewrite it.",
    },
    encoder: new PromptEncoder(policy),
    verifier: mathVerifier(fields),
    scratchDir: join(scratch, "graph"),
  };
  console.log(
    `SCoRe update, ${settings.batch_size} problems x 2 attempts, ${settings.max_new_tokens} new tokens, ` +
      `${values.model ?? "fresh default-size model"} (shared 2-core machine: noisy)`,
  );
  const phases = UPDATE_PHASES;
  console.log(["update", "total s", ...phases.map((p) => `${p} s`), "tok/s"].join("\t"));
  for (let update = 0; update < updates; update++) {
    const report = await scoreUpdate(trainer, update);
    console.log(
      [
        update,
        report.seconds.toFixed(2),
        ...phases.map((p) => report.times[p].toFixed(3)),
        report.tokensPerSecond.toFixed(0),
      ].join("\t"),
    );
  }
  await trainer.training.release();
  await trainer.scoring?.release();
  await Deno.remove(scratch, { recursive: true });
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
