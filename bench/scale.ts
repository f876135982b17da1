/**
 * One SCoRe Stage I update with LoRA over frozen base weights at several model sizes, on random checkpoints:
 * the time split (generation, verification, forward + backward with the base reference scored in the same
 * graph, optimizer, and the
 * overhead outside them), the one-off graph builds, and the process's peak RSS.
 *
 *     deno task bench scale                                     # 10m and 127m
 *     deno run -A bench/scale.ts --sizes 0.5b [--rank 16]       # the Qwen2.5-0.5B config, by hand
 *     deno run -A bench/scale.ts --sizes 0.5b,1.5b --provider webgpu   # on a GPU machine (bench/gpu/run.sh)
 *
 * Each size runs in its own process (peak RSS is per process). Settings: 2 problems of toy-math per update,
 * 1 sample, 2 attempts, 16 new tokens at temperature 1, micro-batches of 4 rows, LoRA rank 16 on
 * q/k/v/o_proj. Update 0 warms up; update 1 is reported. The machine may be shared: figures are noisy, and
 * floating-point work differs across CPUs.
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { readJsonl } from "../src/data/jsonl.ts";
import { type LlamaConfig, parameterCount } from "../src/model/config.ts";
import { type Provider, PROVIDERS } from "../src/model/runtime.ts";
import { initCheckpoint } from "../src/model/init.ts";
import type { LoraOptions } from "../src/model/llama/decoder.ts";
import { TrainingSession } from "../src/model/llama/sessions.ts";
import { initLoraAdapters } from "../src/model/lora.ts";
import { Adam } from "../src/training/adam.ts";
import { mathVerifier } from "../src/training/math_verifier.ts";
import { openLoraGenerationModel } from "../src/training/policy.ts";
import { PromptEncoder } from "../src/training/prompts.ts";
import {
  scoreAdamSettings,
  ScoreSettings,
  type ScoreTrainer,
  scoreUpdate,
  UPDATE_PHASES,
} from "../src/training/score_trainer.ts";
import { ProblemFields, readProblems } from "../src/training/verifiers.ts";

const BASE = {
  rms_norm_eps: 1e-6,
  rope_theta: 1000000,
  max_position_embeddings: 32768,
  tie_word_embeddings: true,
};

/** The benchmark's model sizes (random weights; the tokenizer is the toy byte tokenizer). */
export const SIZES: Record<string, LlamaConfig> = {
  "10m": {
    ...BASE,
    model_type: "qwen2",
    vocab_size: 8192,
    hidden_size: 256,
    intermediate_size: 768,
    num_hidden_layers: 10,
    num_attention_heads: 4,
    num_key_value_heads: 4,
  },
  "40m": {
    ...BASE,
    model_type: "qwen2",
    vocab_size: 16384,
    hidden_size: 512,
    intermediate_size: 1536,
    num_hidden_layers: 10,
    num_attention_heads: 8,
    num_key_value_heads: 4,
  },
  "127m": {
    ...BASE,
    model_type: "qwen2",
    vocab_size: 32768,
    hidden_size: 768,
    intermediate_size: 2560,
    num_hidden_layers: 12,
    num_attention_heads: 12,
    num_key_value_heads: 4,
  },
  /** Qwen2.5-0.5B's config. */
  "0.5b": {
    ...BASE,
    model_type: "qwen2",
    vocab_size: 151936,
    hidden_size: 896,
    intermediate_size: 4864,
    num_hidden_layers: 24,
    num_attention_heads: 14,
    num_key_value_heads: 2,
  },
  /** Qwen2.5-1.5B's config (for a GPU machine: bench/gpu/run.sh). */
  "1.5b": {
    ...BASE,
    model_type: "qwen2",
    vocab_size: 151936,
    hidden_size: 1536,
    intermediate_size: 8960,
    num_hidden_layers: 28,
    num_attention_heads: 12,
    num_key_value_heads: 2,
  },
};

/** Peak resident set size of this process so far (VmHWM), in bytes. */
function peakRss(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return kb * 1024;
}

const gb = (bytes: number) => (bytes / 1024 ** 3).toFixed(2);

async function runSize(size: string, rank: number, provider: Provider): Promise<void> {
  const config = SIZES[size];
  const started = performance.now();
  const policy = initCheckpoint(config, { seed: 0 });
  const lora: LoraOptions = { rank, alpha: 2 * rank, targets: ["q_proj", "k_proj", "v_proj", "o_proj"] };
  const adapters = initLoraAdapters(config, lora, 0);
  const settings = ScoreSettings.parse({
    batch_size: 2,
    max_new_tokens: 16,
    generation_batch_size: 4,
    microbatch_rows: 4,
    learning_rate: 1e-4,
  });
  const fields = ProblemFields.parse({});
  const scratch = await Deno.makeTempDir({ prefix: "bench-scale-" });
  const initSeconds = (performance.now() - started) / 1000;
  const buildStart = performance.now();
  const generation = await openLoraGenerationModel(policy, lora, adapters, join(scratch, "generation"), {
    provider,
  });
  // Stage I's reference is the base model: the training graph scores it (no separate scoring graph)
  const training = await TrainingSession.create(config, {
    provider,
    lora,
    frozen: policy.weights,
    baseReference: true,
    graphDir: join(scratch, "training"),
  });
  const buildSeconds = (performance.now() - buildStart) / 1000;
  // the graphs hold the frozen weights now; the step lets go of its own copy the same way
  const tokenizerOnly = { ...policy, weights: new Map<string, Float32Array>() };
  const trainer: ScoreTrainer = {
    stage: "stage1",
    settings,
    policy: tokenizerOnly,
    reference: tokenizerOnly,
    training,
    adam: new Adam(scoreAdamSettings(settings)),
    problems: readProblems(await readJsonl("datasets/toy-math/train.jsonl"), fields),
    prompts: { template: "{problem}\n", style: "plain", instruction: "Check the solution above and fix it." },
    encoder: new PromptEncoder(policy),
    verifier: mathVerifier(fields),
    scratchDir: join(scratch, "unused"),
    lora: { adapters, generation },
    provider,
  };
  policy.weights.clear();
  const trained = [...adapters.values()].reduce((n, a) => n + a.length, 0);
  console.log(
    `${size}: ${(parameterCount(config) / 1e6).toFixed(1)}M parameters, LoRA rank ${rank} on q/k/v/o ` +
      `(${(trained / 1e6).toFixed(2)}M trained); random init ${initSeconds.toFixed(1)} s, graph builds ` +
      `(once per step) ${buildSeconds.toFixed(1)} s`,
  );
  const phases = UPDATE_PHASES;
  console.log(
    ["update", "total s", ...phases.map((p) => `${p} s`), "overhead s", "gen tok/s", "peak RSS GB"].join(
      "\t",
    ),
  );
  for (let update = 0; update < 2; update++) {
    const report = await scoreUpdate(trainer, update);
    const inPhases = phases.reduce((sum, p) => sum + report.times[p], 0);
    console.log(
      [
        update === 0 ? "0 (warm-up)" : String(update),
        report.seconds.toFixed(2),
        ...phases.map((p) => report.times[p].toFixed(3)),
        (report.seconds - inPhases).toFixed(3),
        (report.tokensPerSecond * report.seconds / report.times.generation).toFixed(1),
        gb(peakRss()),
      ].join("\t"),
    );
  }
  await generation.close();
  await training.release();
  await Deno.remove(scratch, { recursive: true });
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      sizes: { type: "string", default: "10m,127m" },
      size: { type: "string" },
      rank: { type: "string", default: "16" },
      provider: { type: "string", default: "cpu" },
    },
  });
  const rank = Number(values.rank);
  const provider = values.provider as Provider;
  if (!PROVIDERS.includes(provider)) throw new Error(`--provider must be one of ${PROVIDERS.join(", ")}`);
  if (values.size) {
    if (!(values.size in SIZES)) throw new Error(`unknown size ${values.size}; one of ${Object.keys(SIZES)}`);
    await runSize(values.size, rank, provider);
  } else {
    console.log(
      "SCoRe Stage I update with LoRA: 2 problems x 2 attempts, 16 new tokens; 2-core shared VM (noisy)",
    );
    for (const size of values.sizes.split(",")) {
      const { code } = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          new URL(import.meta.url).pathname,
          "--size",
          size,
          "--rank",
          String(rank),
          "--provider",
          provider,
        ],
        stdout: "inherit",
        stderr: "inherit",
      }).output();
      if (code !== 0) Deno.exit(code);
    }
  }
}
