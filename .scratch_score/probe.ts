import { initCheckpoint } from "../src/model/init.ts";
import { TrainingSession } from "../src/model/llama/sessions.ts";
import { readJsonl } from "../src/data/jsonl.ts";
import { PromptEncoder } from "../src/training/prompts.ts";
import { sftRows, SftSettings, trainSft } from "../src/training/sft.ts";
import { openGenerationModel, saveModelDir } from "../src/training/policy.ts";
import type { SftExample } from "../src/training/sft_example.ts";
import type { LlamaConfig } from "../src/model/config.ts";

const [hidden, layers, steps, lr] = Deno.args.map(Number);
const config: LlamaConfig = {
  model_type: "llama", vocab_size: 259, hidden_size: hidden, intermediate_size: hidden * 2, num_hidden_layers: layers,
  num_attention_heads: 4, num_key_value_heads: 4, rms_norm_eps: 1e-6, rope_theta: 10000, max_position_embeddings: 512,
  tie_word_embeddings: false,
} as LlamaConfig;
const policy = initCheckpoint(config, { seed: 1 });
console.log(policy.config.eos_token_id, policy.generationConfig);
const prompts = { template: "{problem}\n", style: "plain" as const, instruction: "Check it:" };
const examples = await readJsonl<SftExample>("datasets/toy-math/sft.jsonl");
const encoder = new PromptEncoder(policy);
const rows = sftRows(examples, encoder, prompts);
console.log("rows", rows.length, "ctx", rows[0].context.length, rows[0].completion.length, "trace", rows[2500].context.length, rows[2500].completion.length);
const session = await TrainingSession.create(policy.config);
const settings = SftSettings.parse({ steps, batch_size: 32, learning_rate: lr, final_lr_fraction: 0.1 });
const t0 = performance.now();
await trainSft(session, policy, rows, settings, { onStep: (r) => { if (r.step % 25 === 0) console.log(r.step, r.loss.toFixed(3), r.seconds.toFixed(2)); } });
console.log("train s", (performance.now() - t0) / 1000);
await saveModelDir(".scratch_score/model", policy);
const model = await openGenerationModel(policy, ".scratch_score/gen");
const tests = (await readJsonl<{ problem: string; answer: string }>("datasets/toy-math/test.jsonl")).slice(0, 100);
const t1 = performance.now();
const out = await model.generator.generate(tests.map((t, i) => ({ key: i, promptIds: encoder.prompt({ prompt: `${t.problem}\n` }) })), {
  maxNewTokens: 48, temperature: 0, topP: 1, topK: 0, n: 1, seed: 0, stop: [], batchSize: 50, memoryBudgetBytes: 1e9, eosTokenIds: model.eosTokenIds,
});
let right = 0;
out.forEach((c, i) => { if (c[0].text.includes(`{${tests[i].answer}}`)) right++; });
console.log("gen s", (performance.now() - t1) / 1000, "acc", right / tests.length, out.slice(0, 3).map((c) => c[0].text));
