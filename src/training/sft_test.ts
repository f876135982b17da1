import assert from "node:assert/strict";
import { tinyConfig } from "../inference/testing.ts";
import { initCheckpoint } from "../model/init.ts";
import { TrainingSession } from "../model/llama/sessions.ts";
import { PromptEncoder, secondPrompt } from "./prompts.ts";
import { sftRows, SftSettings, type SftStepReport, trainSft } from "./sft.ts";
import type { SftExample } from "./sft_example.ts";

const EXAMPLES: SftExample[] = [
  { id: "s1", kind: "solution", problem: "Compute 1+2.", completion: "1+2=3. \\boxed{3}" },
  { id: "s2", kind: "solution", problem: "Compute 5-1.", completion: "5-1=4. \\boxed{4}" },
  {
    id: "t1",
    kind: "trace",
    problem: "Compute 1+2.",
    attempt1: "1+2=4. \\boxed{4}",
    completion: "1+2=3. \\boxed{3}",
  },
];

Deno.test("sft lowers the loss on a tiny set", async () => {
  const policy = initCheckpoint(tinyConfig({ initializer_range: 0.02 }), { seed: 5 });
  const prompts = { template: "{problem}\n", style: "plain" as const, instruction: "Fix it." };
  const rows = sftRows(EXAMPLES, new PromptEncoder(policy), prompts);
  assert.equal(rows[2].completion.at(-1), policy.config.eos_token_id, "completions end in EOS");
  const session = await TrainingSession.create(policy.config, { threads: 1 });
  const reports: SftStepReport[] = [];
  await trainSft(
    session,
    policy.weights,
    rows,
    SftSettings.parse({ steps: 30, batch_size: 3, learning_rate: 0.01 }),
    {
      onStep: (report) => {
        reports.push(report);
      },
    },
  );
  await session.release();
  const first = reports[0].loss;
  const last = reports.at(-1)!.loss;
  assert.ok(first > 4, `a random model starts near ln(259) = 5.56 nats per token, got ${first}`);
  assert.ok(last < first / 2, `loss fell from ${first} only to ${last}`);
});

Deno.test("a trace with its own instruction is learned after that instruction, others after the workflow's", () => {
  const policy = initCheckpoint(tinyConfig(), { seed: 5 });
  const encoder = new PromptEncoder(policy);
  const prompts = { template: "{problem}\n", style: "plain" as const, instruction: "Fix it." };
  const hinted: SftExample = { ...EXAMPLES[2], id: "t2", instruction: "It is wrong; fix it." };
  const [plain, own] = sftRows([EXAMPLES[2], hinted], encoder, prompts);
  assert.deepEqual(plain.context, encoder.prompt(secondPrompt("Compute 1+2.", "1+2=4. \\boxed{4}", prompts)));
  assert.deepEqual(
    own.context,
    encoder.prompt(
      secondPrompt("Compute 1+2.", "1+2=4. \\boxed{4}", { ...prompts, instruction: "It is wrong; fix it." }),
    ),
  );
  assert.notDeepEqual(own.context, plain.context);
});
