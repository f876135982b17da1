import assert from "node:assert/strict";
import { readJsonlLines } from "../data/jsonl.ts";
import { sharedData } from "../testing/shared_data.ts";
import { codeVerifier } from "./code_verifier.ts";
import type { Problem } from "./verifiers.ts";

const humanEval = sharedData("humaneval/HumanEval.jsonl.gz");

/** HumanEval records, read straight from the dataset, as the training steps see them. */
async function humanEvalProblems(ids: string[]): Promise<Problem[]> {
  const records = new Map<string, Record<string, unknown>>();
  for (const { value } of await readJsonlLines(humanEval.path)) {
    const record = value as Record<string, unknown>;
    records.set(String(record.task_id), record);
  }
  return ids.map((id) => {
    const record = records.get(id);
    if (!record) throw new Error(`HumanEval has no ${id}`);
    return { id, statement: String(record.prompt), record };
  });
}

humanEval.test({
  name: "codeVerifier judges HumanEval responses: completions, fenced full functions, wrong code",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const [hasClose, truncate, decodeCyclic] = await humanEvalProblems([
      "HumanEval/0",
      "HumanEval/2",
      "HumanEval/38",
    ]);
    const canonical = (problem: Problem) => String(problem.record.canonical_solution);
    const verifier = codeVerifier({ concurrency: 2 });
    try {
      const items = [
        // A bare completion, as a base model writes it.
        { problem: hasClose, response: canonical(hasClose) },
        // A chat answer: prose, then the whole prompt and body in a fence.
        {
          problem: truncate,
          response: "Sure! Here is the solution:\n\n```python\n" + truncate.statement + canonical(truncate) +
            "```\n\nIt keeps the fractional part.",
        },
        // A full function that relies on a helper defined in the prompt (encode_cyclic).
        {
          problem: decodeCyclic,
          response: "```python\ndef decode_cyclic(s: str):\n    return encode_cyclic(encode_cyclic(s))\n```",
        },
        // Wrong answers.
        { problem: hasClose, response: "    return False\n" },
        {
          problem: truncate,
          response: "```python\ndef truncate_number(number: float) -> float:\n    return number\n```",
        },
        { problem: decodeCyclic, response: "    pass\n" },
      ];
      const verdicts = await verifier.judge(items);
      assert.deepEqual(verdicts.map((verdict) => verdict.correct), [true, true, true, false, false, false]);
      assert.match(verdicts[3].reason ?? "", /^failed: AssertionError/);
      assert.equal(
        verdicts[2].extracted,
        "def decode_cyclic(s: str):\n    return encode_cyclic(encode_cyclic(s))\n",
      );
      // The pool stays up between calls.
      const [again] = await verifier.judge([items[0]]);
      assert.equal(again.correct, true);
    } finally {
      await verifier.close();
    }
  },
});

Deno.test("codeVerifier names the problem whose record is not a code problem", async () => {
  const verifier = codeVerifier({ concurrency: 1 });
  try {
    await assert.rejects(
      verifier.judge([{
        problem: { id: "math-7", statement: "1+1", record: { problem: "1+1" } },
        response: "2",
      }]),
      /problem math-7: its record is not a code problem/,
    );
  } finally {
    await verifier.close();
  }
});
