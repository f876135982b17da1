import assert from "node:assert/strict";
import { join } from "node:path";
import { main } from "./cli.ts";
import { writeRandomModel } from "./testing.ts";

Deno.test("pipeline generate: prompt and chat lines in, one record per sample out; bad input exits 2", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "generate_cli_test_" });
  const modelDir = join(dir, "model");
  await writeRandomModel(modelDir);
  const prompts = join(dir, "prompts.jsonl");
  const out = join(dir, "out.jsonl");
  await Deno.writeTextFile(
    prompts,
    [
      JSON.stringify({ id: "p1", prompt: "What is 2+2?", answer: "4" }),
      JSON.stringify({ id: "p2", messages: [{ role: "user", content: "Say hi" }] }),
    ].join("\n") + "\n",
  );
  try {
    await t.step("generates n samples per prompt with tokens, log-probabilities and provenance", async () => {
      const args = [
        "--model",
        modelDir,
        "--prompts",
        prompts,
        "--out",
        out,
        "--n",
        "2",
        "--max-new-tokens",
        "5",
      ];
      assert.equal(await main([...args, "--temperature", "0.8", "--top-k", "20", "--seed", "3"]), 0);
      const records = (await Deno.readTextFile(out)).trim().split("\n").map((line) => JSON.parse(line));
      assert.deepEqual(records.map((r) => [r.id, r.sample_index]), [["p1", 0], ["p1", 1], ["p2", 0], [
        "p2",
        1,
      ]]);
      for (const record of records) {
        assert.equal(record.token_ids.length, record.logprobs.length);
        assert.equal(record.token_ids.length, record.raw_logprobs.length);
        assert.ok(record.token_ids.length >= 1 && record.token_ids.length <= 5);
        assert.equal(typeof record.completion, "string");
        assert.ok(["eos", "length", "stop"].includes(record.finish_reason));
        assert.equal(record.seed, 3);
        assert.equal(record.sampling.top_k, 20);
        assert.equal(record.model.sha256.length, 64);
      }
      assert.equal(records[0].answer, "4", "the input fields are kept");
    });
    await t.step("a malformed prompt line exits 2 before loading the model", async () => {
      await Deno.writeTextFile(prompts, '{"id": 1, "prompt": "ok"}\n{"id": 2}\n');
      assert.equal(await main(["--model", modelDir, "--prompts", prompts, "--out", out]), 2);
      assert.equal(await main(["--model", modelDir, "--prompts", prompts]), 2);
      assert.equal(await main(["--model", modelDir, "--prompts", prompts, "--out", out, "--top-p", "2"]), 2);
    });
    await t.step(
      "a provider that cannot load fails with a fix, or falls back to cpu only when asked",
      async () => {
        await Deno.writeTextFile(prompts, '{"id": 1, "prompt": "ok"}\n');
        const args = ["--model", modelDir, "--prompts", prompts, "--out", out, "--max-new-tokens", "2"];
        assert.equal(await main([...args, "--provider", "cuda"]), 1);
        assert.equal(await main([...args, "--provider", "cuda", "--provider-fallback", "cpu"]), 0);
        const [record] = (await Deno.readTextFile(out)).trim().split("\n").map((line) => JSON.parse(line));
        assert.equal(record.provider, "cpu");
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
