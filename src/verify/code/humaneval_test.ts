import assert from "node:assert/strict";
import { SandboxPool } from "./pool.ts";
import { loadHumanEval } from "./problems.ts";
import { verifyAttempts } from "./verifier.ts";

Deno.test({
  name: "HumanEval: all 164 canonical solutions pass and all 164 `pass` completions fail",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const problems = [...(await loadHumanEval()).values()];
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
