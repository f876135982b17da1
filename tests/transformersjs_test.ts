/**
 * transformers.js loads a model folder this project writes (config.json, tokenizer.json,
 * tokenizer_config.json, generation_config.json, onnx/model.onnx) offline and generates with it. Its greedy
 * continuation of a left-padded batch must equal greedy decoding by this project's own inference graph, run
 * one unpadded prompt at a time and without a KV cache: that pins the input and output names, dtypes, the
 * attention_mask length, position ids under padding, and the key/value head count that transformers.js reads
 * from config.json to shape the empty cache.
 */
import assert from "node:assert/strict";
import { basename, dirname, join } from "node:path";
import { type LlamaConfig, modelDims } from "../src/model/config.ts";
import { type Checkpoint, saveCheckpoint } from "../src/model/checkpoint.ts";
import { initCheckpoint } from "../src/model/init.ts";
import type { LoraOptions } from "../src/model/llama/decoder.ts";
import { buildInferenceModel } from "../src/model/llama/graphs.ts";
import { ScoringSession } from "../src/model/llama/sessions.ts";
import { initLoraAdapters, mergeLora } from "../src/model/lora.ts";
import { saveModel } from "../src/model/onnx/save.ts";
import {
  createSession,
  float32Tensor,
  int64Tensor,
  type OrtTensor,
  type Session,
} from "../src/model/runtime.ts";

const NEW_TOKENS = 8;
const PROMPTS = ["def add(a, b):", "x"];

/**
 * Tiny configs; weights drawn with a large spread so greedy choices are far from ties. `external` writes every
 * weight to onnx/model.onnx_data, as the export does for large models.
 */
const CONFIGS: { name: string; config: LlamaConfig; external?: boolean }[] = [
  {
    name: "qwen2 (grouped-query attention, qkv bias, untied)",
    config: {
      model_type: "qwen2",
      vocab_size: 272,
      hidden_size: 32,
      intermediate_size: 48,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      rms_norm_eps: 1e-6,
      rope_theta: 10000,
      max_position_embeddings: 64,
      tie_word_embeddings: false,
      initializer_range: 0.5,
    },
  },
  {
    name: "llama (tied embeddings, explicit head_dim, weights in external data)",
    external: true,
    config: {
      model_type: "llama",
      vocab_size: 272,
      hidden_size: 32,
      head_dim: 16,
      intermediate_size: 48,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 1,
      rms_norm_eps: 1e-5,
      rope_theta: 500,
      max_position_embeddings: 64,
      tie_word_embeddings: true,
      initializer_range: 0.5,
    },
  },
];

/** Greedy decoding with the exported graph: the whole sequence is re-run each step, with an empty cache. */
async function greedyWithoutCache(session: Session, config: LlamaConfig, prompt: number[], eos: number[]) {
  const d = modelDims(config);
  const ids = [...prompt];
  for (let step = 0; step < NEW_TOKENS; step++) {
    const n = ids.length;
    const feeds: Record<string, OrtTensor> = {
      input_ids: int64Tensor(ids, [1, n]),
      attention_mask: int64Tensor(new Array(n).fill(1), [1, n]),
      position_ids: int64Tensor(ids.map((_, i) => i), [1, n]),
    };
    for (let layer = 0; layer < d.layers; layer++) {
      for (const kind of ["key", "value"]) {
        feeds[`past_key_values.${layer}.${kind}`] = float32Tensor(new Float32Array(0), [
          1,
          d.kvHeads,
          0,
          d.headDim,
        ]);
      }
    }
    const logits = (await session.run(feeds)).logits.data as Float32Array;
    const last = logits.subarray((n - 1) * d.vocab, n * d.vocab);
    const next = last.indexOf(Math.max(...last));
    ids.push(next);
    if (eos.includes(next)) break;
  }
  return ids.slice(prompt.length);
}

/** Generated ids up to and including the first end-of-sequence token. */
function untilEos(ids: number[], eos: number[]): number[] {
  const end = ids.findIndex((id) => eos.includes(id));
  return end < 0 ? ids : ids.slice(0, end + 1);
}

async function writeModelFolder(dir: string, checkpoint: Checkpoint, external: boolean): Promise<void> {
  await saveCheckpoint(dir, checkpoint);
  const model = buildInferenceModel(checkpoint.config, checkpoint.weights, {
    externalThresholdBytes: external ? 0 : Infinity,
  });
  assert.equal(model.externalData !== null, external, "weights are external exactly when asked");
  await saveModel(join(dir, "onnx", "model.onnx"), model);
}

for (const { name, config, external = false } of CONFIGS) {
  Deno.test(`transformers.js generate() on a model this project writes matches our greedy decoding: ${name}`, async () => {
    const root = await Deno.makeTempDir();
    try {
      const dir = join(root, "toy-model");
      const checkpoint = initCheckpoint(config, { seed: 3 });
      await writeModelFolder(dir, checkpoint, external);
      const eosIds = [checkpoint.config.eos_token_id].flat().filter((id): id is number =>
        typeof id === "number"
      );

      const { AutoModelForCausalLM, AutoTokenizer, env } = await import("@huggingface/transformers");
      env.allowRemoteModels = false;
      env.localModelPath = dirname(dir) + "/";
      const tokenizer = await AutoTokenizer.from_pretrained(basename(dir));
      tokenizer.padding_side = "left";
      const model = await AutoModelForCausalLM.from_pretrained(basename(dir), {
        dtype: "fp32",
        device: "cpu",
      });
      const inputs = tokenizer(PROMPTS, { padding: true, add_special_tokens: false });
      const output = await model.generate({ ...inputs, do_sample: false, max_new_tokens: NEW_TOKENS });
      const width = inputs.input_ids.dims[1];
      const theirs = (output as { tolist(): bigint[][] }).tolist().map((row) =>
        untilEos(row.slice(width).map(Number), eosIds)
      );
      await model.dispose();

      const ours = await createSession(join(dir, "onnx", "model.onnx"), { threads: 1 });
      for (const [i, prompt] of PROMPTS.entries()) {
        const promptIds = tokenizer.encode(prompt, { add_special_tokens: false });
        const expected = await greedyWithoutCache(ours, checkpoint.config, promptIds, eosIds);
        assert.ok(expected.length > 0, "our decoding produced tokens");
        assert.deepEqual(theirs[i], expected, `prompt ${i} (${JSON.stringify(prompt)})`);
      }
      await ours.release();
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  });
}

Deno.test("a merged LoRA checkpoint in transformers.js gives the log-probabilities of the step's scoring graph", async () => {
  const root = await Deno.makeTempDir();
  try {
    const config = CONFIGS[0].config;
    const checkpoint = initCheckpoint({ ...config, initializer_range: 0.2 }, { seed: 4 });
    const lora: LoraOptions = { rank: 4, alpha: 8, targets: ["q_proj", "v_proj", "o_proj", "down_proj"] };
    const adapters = initLoraAdapters(checkpoint.config, lora, 2);
    let s = 0;
    for (const [name, data] of adapters) {
      if (name.endsWith("lora_B.weight")) data.forEach((_, i) => data[i] = Math.sin(++s) * 0.2);
    }
    const dir = join(root, "merged-model");
    await writeModelFolder(dir, {
      ...checkpoint,
      weights: mergeLora(checkpoint.weights, { options: lora, tensors: adapters }),
    }, false);

    const { AutoModelForCausalLM, Tensor, env } = await import("@huggingface/transformers");
    env.allowRemoteModels = false;
    env.localModelPath = root + "/";
    const model = await AutoModelForCausalLM.from_pretrained(basename(dir), { dtype: "fp32", device: "cpu" });
    const ids = [5, 90, 17, 200, 33, 64, 7];
    const n = ids.length;
    const output = await model({
      input_ids: new Tensor("int64", BigInt64Array.from(ids, BigInt), [1, n]),
      attention_mask: new Tensor("int64", new BigInt64Array(n).fill(1n), [1, n]),
    }) as { logits: { data: Float32Array } };
    await model.dispose();
    const vocab = checkpoint.config.vocab_size;
    const theirs = ids.slice(1).map((target, t) => {
      const row = output.logits.data.subarray(t * vocab, (t + 1) * vocab);
      const max = Math.max(...row);
      const logZ = max + Math.log(row.reduce((sum, v) => sum + Math.exp(v - max), 0));
      return row[target] - logZ;
    });
    // the step's own scoring graph: frozen base weights with the adapters as inputs
    const scoring = await ScoringSession.create(checkpoint.config, {
      threads: 1,
      lora,
      frozen: checkpoint.weights,
    });
    const ours = await scoring.score(adapters, {
      batch: 1,
      seq: n,
      inputIds: ids,
      attentionMask: new Array(n).fill(1),
      targets: [...ids.slice(1), 0],
    });
    await scoring.release();
    theirs.forEach((lp, t) =>
      assert.ok(Math.abs(lp - ours.logprobs[t]) < 1e-4, `position ${t}: ${lp} vs ${ours.logprobs[t]}`)
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
