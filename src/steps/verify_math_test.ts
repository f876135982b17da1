import assert from "node:assert/strict";
import { join } from "node:path";
import { memoryContext, recordsArtifact as inputArtifact } from "./testing.ts";
import { verifyMath } from "./verify_math.ts";

Deno.test("verify.math checks attempt 1 and attempt 2 fields of generated records", async () => {
  const input = await inputArtifact([
    { gold: "\\frac{1}{2}", first: "so \\boxed{0.4}", second: "so \\boxed{0.5}" },
    { gold: "(0,9)", first: "\\boxed{(0,9)}", second: ["\\boxed{[0,9)}", "\\boxed{(0, 9)}"] },
  ]);
  const params = verifyMath.params.parse({
    input,
    checks: [
      {
        answer: "gold",
        response: "first",
        correct: "correct_1",
        extracted: "extracted_1",
        reason: "reason_1",
      },
      {
        answer: "gold",
        response: "second",
        correct: "correct_2",
        extracted: "extracted_2",
        reason: "reason_2",
      },
    ],
    batch_size: 1,
  });
  const written: Record<string, unknown>[] = [];
  try {
    await verifyMath.run(memoryContext(params, written));
  } finally {
    await Deno.remove(join(input.path, ".."), { recursive: true });
  }
  assert.deepEqual(written.map((r) => [r.correct_1, r.correct_2]), [[false, true], [true, [false, true]]]);
  assert.deepEqual(written[1].extracted_2, ["[0,9)", "(0, 9)"]);
});

Deno.test("verify.math names the record that lacks a gold answer", async () => {
  const input = await inputArtifact([{ answer: "1", response: "\\boxed{1}" }, { response: "\\boxed{1}" }]);
  const params = verifyMath.params.parse({ input });
  try {
    await assert.rejects(verifyMath.run(memoryContext(params, [])), /record 2: field "answer"/);
  } finally {
    await Deno.remove(join(input.path, ".."), { recursive: true });
  }
});
