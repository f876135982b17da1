/**
 * Compares this project's ONNX graphs with an independent PyTorch implementation (reference_llama.py) on the
 * same safetensors: logits of the exported inference model, per-token log-probabilities of `model score`, and
 * the gradients that `model score --grads` writes. Needs Debian's python3-torch (`apt-get install
 * python3-torch`); without it the tests are skipped with a message. Run: `deno task test:torch`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type LlamaConfig, parameterShapes } from "../../src/model/config.ts";
import { initWeights, parseModelConfig, saveCheckpoint } from "../../src/model/checkpoint.ts";
import { main } from "../../src/model/cli.ts";
import type { LoraOptions } from "../../src/model/llama/decoder.ts";
import { TrainingSession } from "../../src/model/llama/sessions.ts";
import { initLoraAdapters, savePeftAdapter } from "../../src/model/lora.ts";
import { createRng } from "../../src/model/random.ts";
import { createSession, float32Tensor, int64Tensor } from "../../src/model/runtime.ts";
import { readSafetensors } from "../../src/model/safetensors.ts";
import { createToyTokenizer } from "../../src/model/toy_tokenizer.ts";

const PYTHON = "/usr/bin/python3";
const REFERENCE = new URL("./reference_llama.py", import.meta.url).pathname;
const RELATIVE_TOLERANCE = 1e-4;

const torchAvailable = await hasTorch();
if (!torchAvailable) {
  console.warn(
    `SKIPPED tests/torch/compare_test.ts: ${PYTHON} cannot import torch; install it with ` +
      "`apt-get install -y python3-torch`, then run `deno task test:torch`",
  );
}

const CASES: { name: string; config: Record<string, unknown>; dtype: "F32" | "BF16" }[] = [
  {
    name: "qwen2 (q/k/v bias, grouped-query attention, untied head)",
    config: { model_type: "qwen2", num_key_value_heads: 2, tie_word_embeddings: false, rope_theta: 1000000 },
    dtype: "F32",
  },
  {
    name: "llama (multi-head attention, tied embeddings, bf16 weights)",
    config: { model_type: "llama", tie_word_embeddings: true, rms_norm_eps: 1e-5 },
    dtype: "BF16",
  },
  {
    name: "mistral (grouped-query attention, explicit head_dim)",
    config: { model_type: "mistral", num_key_value_heads: 1, head_dim: 16, tie_word_embeddings: false },
    dtype: "F32",
  },
];

const SEQUENCES = [
  { input_ids: [1, 5, 200, 33, 7, 9, 250, 11], loss_mask: [0, 0, 1, 1, 1, 1, 0, 1] },
  { input_ids: [4, 250, 3], loss_mask: [0, 1, 1] },
  { input_ids: [17, 18, 19, 20, 21], loss_mask: [1, 1, 1, 1, 1] },
];

for (const testCase of CASES) {
  Deno.test({
    name: `torch oracle: ${testCase.name}: logits, logprobs and gradients match PyTorch`,
    ignore: !torchAvailable,
    async fn() {
      const dir = await Deno.makeTempDir();
      const model = join(dir, "model");
      const config = parseModelConfig(
        {
          vocab_size: 300,
          hidden_size: 32,
          intermediate_size: 48,
          num_hidden_layers: 2,
          num_attention_heads: 4,
          ...testCase.config,
        },
        testCase.name,
      );
      const files = createToyTokenizer();
      await saveCheckpoint(model, {
        config,
        weights: perturbedWeights(config),
        tokenizer: files.tokenizer,
        tokenizerConfig: files.tokenizerConfig,
      }, { dtype: testCase.dtype });
      const input = join(dir, "in.jsonl");
      await Deno.writeTextFile(input, SEQUENCES.map((s) => JSON.stringify(s)).join("\n") + "\n");

      const ours = { logprobs: join(dir, "ours.jsonl"), grads: join(dir, "ours.safetensors") };
      assert.equal(
        await main(["score", "--model", model, "--in", input, "--out", ours.logprobs, "--grads", ours.grads]),
        0,
      );
      assert.equal(await main(["export-onnx", model]), 0);
      const ref = {
        logprobs: join(dir, "ref.jsonl"),
        grads: join(dir, "ref.safetensors"),
        logits: join(dir, "l.st"),
      };
      await runReference(model, input, ref);

      const refLogits = (await readSafetensors(ref.logits)).tensors;
      const session = await createSession(join(model, "onnx", "model.onnx"));
      for (const [index, sequence] of SEQUENCES.entries()) {
        const logits = await inferenceLogits(session, config, sequence.input_ids);
        assertClose(
          logits,
          refLogits.get(`logits.${index}`)!.data as Float32Array,
          `logits of sequence ${index}`,
        );
      }
      const ourLogprobs = await readLogprobs(ours.logprobs);
      const refLogprobs = await readLogprobs(ref.logprobs);
      ourLogprobs.forEach((lp, i) => assertClose(lp, refLogprobs[i], `logprobs of sequence ${i}`));

      const ourGrads = (await readSafetensors(ours.grads)).tensors;
      const refGrads = (await readSafetensors(ref.grads)).tensors;
      assert.deepEqual([...ourGrads.keys()].sort(), [...parameterShapes(config).keys()].sort());
      for (const [name, grad] of refGrads) {
        assertClose(
          ourGrads.get(name)!.data as Float32Array,
          grad.data as Float32Array,
          `gradient of ${name}`,
        );
      }
    },
  });
}

/**
 * Random weights with matrices at std 0.1 (so predictions are far from uniform) and norms and biases moved
 * off their initial 1 and 0, so that their gradients are exercised too.
 */
function perturbedWeights(config: LlamaConfig): Map<string, Float32Array> {
  const weights = initWeights(config, 11);
  const rng = createRng(12);
  for (const [name, data] of weights) {
    const isNormOrBias = name.endsWith("norm.weight") || name.endsWith(".bias");
    for (let i = 0; i < data.length; i++) data[i] = isNormOrBias ? data[i] + 0.3 * rng.normal() : data[i] * 5;
  }
  return weights;
}

async function inferenceLogits(
  session: Awaited<ReturnType<typeof createSession>>,
  config: LlamaConfig,
  ids: number[],
): Promise<Float32Array> {
  const kvHeads = config.num_key_value_heads ?? config.num_attention_heads;
  const headDim = config.head_dim ?? config.hidden_size / config.num_attention_heads;
  const feeds: Record<string, ReturnType<typeof int64Tensor>> = {
    input_ids: int64Tensor(ids, [1, ids.length]),
    attention_mask: int64Tensor(ids.map(() => 1), [1, ids.length]),
    position_ids: int64Tensor(ids.map((_, i) => i), [1, ids.length]),
  };
  for (let layer = 0; layer < config.num_hidden_layers; layer++) {
    for (const kind of ["key", "value"]) {
      feeds[`past_key_values.${layer}.${kind}`] = float32Tensor(new Float32Array(0), [
        1,
        kvHeads,
        0,
        headDim,
      ]);
    }
  }
  return (await session.run(feeds)).logits.data as Float32Array;
}

async function runReference(
  model: string,
  input: string,
  out: { logprobs: string; grads: string; logits: string },
) {
  const args = [REFERENCE, "--model", model, "--in", input, "--logprobs", out.logprobs, "--grads", out.grads];
  const { code, stderr } = await new Deno.Command(PYTHON, { args: [...args, "--logits", out.logits] })
    .output();
  assert.equal(code, 0, `reference_llama.py failed: ${new TextDecoder().decode(stderr)}`);
}

async function readLogprobs(path: string): Promise<Float32Array[]> {
  const lines = (await Deno.readTextFile(path)).trim().split("\n");
  return lines.map((line) =>
    Float32Array.from((JSON.parse(line).logprobs as (number | null)[]).slice(1) as number[])
  );
}

/** Asserts max |a - b| <= 1e-4 * max |b| (+1e-6 so all-zero tensors compare), naming the worst element. */
function assertClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 0;
  for (const value of expected) scale = Math.max(scale, Math.abs(value));
  let worst = 0;
  let worstIndex = -1;
  for (let i = 0; i < actual.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    if (!(diff <= worst)) [worst, worstIndex] = [diff, i];
  }
  assert.ok(
    worst <= RELATIVE_TOLERANCE * scale + 1e-6,
    `${what}: element ${worstIndex} differs by ${worst} (${actual[worstIndex]} vs ${
      expected[worstIndex]
    }), over ${RELATIVE_TOLERANCE} x max |expected| ${scale}`,
  );
}

async function hasTorch(): Promise<boolean> {
  try {
    const { code } = await new Deno.Command(PYTHON, { args: ["-c", "import torch"], stderr: "null" })
      .output();
    return code === 0;
  } catch {
    return false;
  }
}

Deno.test({
  name: "torch oracle: LoRA adapter gradients over frozen (baked-in) weights match PyTorch",
  ignore: !torchAvailable,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const config = parseModelConfig({
        vocab_size: 300,
        hidden_size: 32,
        intermediate_size: 48,
        num_hidden_layers: 2,
        num_attention_heads: 4,
        model_type: "qwen2",
        num_key_value_heads: 2,
        tie_word_embeddings: true,
      }, "lora oracle");
      const weights = perturbedWeights(config);
      const model = join(dir, "model");
      await saveCheckpoint(model, { config, weights });
      const lora: LoraOptions = {
        rank: 3,
        alpha: 6,
        targets: ["q_proj", "v_proj", "o_proj", "gate_proj", "down_proj"],
      };
      const adapters = initLoraAdapters(config, lora, 5);
      const rng = createRng(6);
      for (const [name, data] of adapters) {
        if (name.endsWith("lora_B.weight")) {
          for (let i = 0; i < data.length; i++) data[i] = 0.3 * rng.normal();
        }
      }
      const adapterDir = join(dir, "adapter");
      await savePeftAdapter(adapterDir, config, { options: lora, dropout: 0, tensors: adapters });
      const input = join(dir, "in.jsonl");
      await Deno.writeTextFile(input, SEQUENCES.map((s) => JSON.stringify(s)).join("\n") + "\n");
      const ref = { logprobs: join(dir, "ref.jsonl"), grads: join(dir, "ref.safetensors") };
      const args = [
        REFERENCE,
        "--model",
        model,
        "--in",
        input,
        "--logprobs",
        ref.logprobs,
        "--grads",
        ref.grads,
      ];
      const { code, stderr } = await new Deno.Command(PYTHON, { args: [...args, "--adapter", adapterDir] })
        .output();
      assert.equal(code, 0, `reference_llama.py failed: ${new TextDecoder().decode(stderr)}`);

      const session = await TrainingSession.create(config, { threads: 1, lora, frozen: weights });
      const sums = new Map<string, Float32Array>();
      const refLogprobs = await readLogprobs(ref.logprobs);
      try {
        for (const [index, sequence] of SEQUENCES.entries()) {
          const n = sequence.input_ids.length;
          const tokenWeights = Float32Array.from(
            { length: n },
            (_, t) => (t + 1 < n ? -sequence.loss_mask[t + 1] : 0),
          );
          const result = await session.lossAndGrads(adapters, {
            batch: 1,
            seq: n,
            inputIds: sequence.input_ids,
            attentionMask: sequence.input_ids.map(() => 1),
            targets: [...sequence.input_ids.slice(1), 0],
            positions: Array.from({ length: n - 1 }, (_, t) => t),
            tokenWeights,
            refLogprobs: new Float32Array(n),
            klWeights: new Float32Array(n),
          });
          assertClose(
            result.logprobs.subarray(0, n - 1),
            refLogprobs[index],
            `LoRA logprobs of sequence ${index}`,
          );
          for (const [name, grad] of result.grads) {
            const sum = sums.get(name) ?? new Float32Array(grad.length);
            grad.forEach((v, i) => (sum[i] += v));
            sums.set(name, sum);
          }
        }
      } finally {
        await session.release();
      }
      const refGrads = (await readSafetensors(ref.grads)).tensors;
      assert.deepEqual([...refGrads.keys()].sort(), [...adapters.keys()].sort());
      for (const [name, grad] of refGrads) {
        assertClose(sums.get(name)!, grad.data as Float32Array, `gradient of ${name}`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
