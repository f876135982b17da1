import assert from "node:assert/strict";
import { join } from "node:path";
import type { ArtifactRef } from "../workflow/step.ts";
import { memoryContext } from "./testing.ts";
import { verifyCode } from "./verify_code.ts";

async function recordsArtifact(dir: string, name: string, records: unknown[]): Promise<ArtifactRef> {
  const path = join(dir, `${name}.jsonl`);
  await Deno.writeTextFile(path, records.map((record) => JSON.stringify(record)).join("\n") + "\n");
  return {
    artifact: true,
    step: name,
    output: "records",
    path,
    kind: "records",
    sha256: "x",
    count: records.length,
  };
}

Deno.test({
  name: "verify.code attaches a verdict to attempt 1 and attempt 2 of each record",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    const problems = await recordsArtifact(dir, "problems", [{
      task_id: "p/0",
      prompt: "def double(x):\n",
      test: "def check(candidate):\n    assert candidate(2) == 4\n",
      entry_point: "double",
    }]);
    const samples = await recordsArtifact(dir, "samples", [
      { problem: "p/0", first: "    return x + x\n", second: "    return x * 3\n" },
      { problem: "p/0", first: "    return x\n", second: "    return 2 * x\n" },
    ]);
    const params = verifyCode.params.parse({
      problems,
      samples,
      task_field: "problem",
      completion_fields: ["first", "second"],
      concurrency: 1,
    });
    const written: Record<string, { status: string; passed: boolean }>[] = [];
    await verifyCode.run(memoryContext(params, written));
    assert.deepEqual(
      written.map((record) => [record.first_verdict.status, record.second_verdict.status]),
      [["passed", "failed"], ["failed", "passed"]],
    );
    await Deno.remove(dir, { recursive: true });
  },
});
