import assert from "node:assert/strict";
import { SandboxPool } from "./pool.ts";
import { loadProblems } from "./problems.ts";
import { verifyAttempts } from "./verifier.ts";
import { sharedData } from "../../testing/shared_data.ts";

const humanEval = sharedData("humaneval/HumanEval.jsonl.gz");

humanEval.test({
  name: "HumanEval: all 164 canonical solutions pass and all 164 `pass` completions fail",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const problems = [...(await loadProblems(humanEval.path, "python")).values()];
    assert.equal(problems.length, 164);
    const pool = new SandboxPool({ concurrency: 2 });
    try {
      const canonical = await verifyAttempts(
        pool,
        problems.map((problem) => ({ problem, completion: problem.canonicalSolution ?? "" })),
      );
      const failures = canonical.flatMap((verdict, index) =>
        verdict.passed ? [] : [`${problems[index].taskId}: ${verdict.result}`]
      );
      assert.deepEqual(failures, []);
      const stubs = await verifyAttempts(
        pool,
        problems.map((problem) => ({ problem, completion: "    pass\n" })),
      );
      const wrongPasses = stubs.flatMap((verdict, index) => verdict.passed ? [problems[index].taskId] : []);
      assert.deepEqual(wrongPasses, []);
      assert.ok(stubs.every((verdict) => verdict.status === "failed" || verdict.status === "error"));
    } finally {
      await pool.close();
    }
  },
});
