import assert from "node:assert/strict";
import { parseProblem } from "../verify/code/formats.ts";
import { SandboxPool } from "../verify/code/pool.ts";
import { verifyAttempts } from "../verify/code/verifier.ts";
import { entryPointOf, mbppToHumanEval } from "./mbpp.ts";
import { DATASET_FIXTURES } from "./testing.ts";

Deno.test("entryPointOf picks the defined function the tests call", () => {
  const code = "def helper(x):\n  return x\ndef solve(n):\n  return helper(n)";
  assert.equal(entryPointOf(code, ["assert solve(1) == 1"]), "solve");
  assert.equal(entryPointOf(code, ["assert Pair(1).x == 1"]), "helper", "else the first definition");
  assert.equal(entryPointOf("x = 1", ["assert x == 1"]), undefined);
  assert.throws(
    () => mbppToHumanEval({ task_id: 9, text: "t", code: "x = 1", test_list: ["assert x"] }),
    /MBPP task 9: the code defines no function/,
  );
});

Deno.test({
  name: "converted MBPP problems run in the code sandbox: reference code passes, wrong code fails",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const rows = Object.values(DATASET_FIXTURES.mbppFull).flat();
    const problems = rows.map((row) => parseProblem(mbppToHumanEval(row), "python"));
    const pool = new SandboxPool({ concurrency: 2 });
    try {
      const reference = await verifyAttempts(
        pool,
        problems.map((problem) => ({ problem, completion: problem.canonicalSolution ?? "" })),
      );
      assert.deepEqual(
        reference.map((verdict, i) => [problems[i].taskId, verdict.status]),
        problems.map((problem) => [problem.taskId, "passed"]),
      );
      const wrong = await verifyAttempts(
        pool,
        problems.map((problem) => ({
          problem,
          completion: `def ${problem.entryPoint}(*args):\n  return None\n`,
        })),
      );
      assert.ok(wrong.every((verdict) => !verdict.passed), "returning None fails every converted test");
    } finally {
      await pool.close();
    }
  },
});
