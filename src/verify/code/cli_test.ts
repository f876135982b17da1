import assert from "node:assert/strict";
import { withFiles } from "../../testing/temp_dir.ts";
import { main } from "./cli.ts";

const options = { sanitizeResources: false, sanitizeOps: false };
const TEMP = { prefix: "verify-code-cli-" };

/** Runs `verify-code` on `dir`'s problems.jsonl and samples.jsonl, writing out.jsonl; returns the exit code. */
function verifyCode(dir: string, extra: string[] = []): Promise<number> {
  return main([
    "--problems",
    `${dir}/problems.jsonl`,
    "--samples",
    `${dir}/samples.jsonl`,
    "--out",
    `${dir}/out.jsonl`,
    ...extra,
  ]);
}

const PROBLEM = JSON.stringify({
  task_id: "t/0",
  prompt: "def inc(x):\n",
  canonical_solution: "    return x + 1\n",
  test: "def check(candidate):\n    assert candidate(1) == 2\n",
  entry_point: "inc",
});

Deno.test({
  name: "verify-code writes human-eval results with passed, result and status",
  ...options,
  async fn() {
    const samples = [
      { task_id: "t/0", completion: "    return x + 1\n", attempt: 1 },
      { task_id: "t/0", completion: "    return x\n", attempt: 2 },
    ].map((sample) => JSON.stringify(sample)).join("\n");
    await withFiles({ "problems.jsonl": PROBLEM + "\n", "samples.jsonl": samples }, async (dir) => {
      const code = await verifyCode(dir, ["--concurrency", "1"]);
      assert.equal(code, 0);
      const results = (await Deno.readTextFile(`${dir}/out.jsonl`)).trim().split("\n").map((line) =>
        JSON.parse(line)
      );
      assert.deepEqual(results.map((r) => [r.attempt, r.passed, r.status]), [[1, true, "passed"], [
        2,
        false,
        "failed",
      ]]);
      assert.equal(results[0].result, "passed");
      assert.match(results[1].result, /^failed: AssertionError/);
    }, TEMP);
  },
});

Deno.test({
  name: "verify-code rejects bad input with exit code 2 before running anything",
  ...options,
  async fn() {
    const cases: Record<string, string>[] = [
      { "problems.jsonl": PROBLEM, "samples.jsonl": `{"task_id": "t/0", "completion": "x"}\n{broken` },
      { "problems.jsonl": PROBLEM, "samples.jsonl": `{"task_id": "t/9", "completion": "x"}` },
      { "problems.jsonl": `{"task_id": "t/0"}`, "samples.jsonl": `{"task_id": "t/0", "completion": "x"}` },
    ];
    for (const files of cases) {
      await withFiles(files, async (dir) => {
        const code = await verifyCode(dir);
        assert.equal(code, 2);
        await assert.rejects(Deno.stat(`${dir}/out.jsonl`));
      }, TEMP);
    }
    assert.equal(await main(["--problems", "x"]), 2);
  },
});
