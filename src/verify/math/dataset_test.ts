import assert from "node:assert/strict";
import { join } from "node:path";
import { compareAnswers } from "./check.ts";
import { goldAnswer, loadMathDirectory, loadMathJsonl, parseMathJsonl } from "./dataset.ts";
import { extractAnswer } from "./extract.ts";
import { sharedData } from "../../testing/shared_data.ts";

const math500 = sharedData("math/math500.jsonl");
const mathTrain = sharedData("math/train.jsonl");

math500.test("every MATH500 boxed solution answer is judged equal to its gold answer", async () => {
  const items = await loadMathJsonl(math500.path);
  assert.equal(items.length, 500);
  const failures = items.flatMap((item) => {
    const boxed = extractAnswer(item.solution);
    if (boxed === null || item.answer === null) return [`${item.id}: no boxed answer`];
    const result = compareAnswers(item.answer, boxed, { problem: item.problem });
    return result.correct ? [] : [`${item.id}: ${item.answer} vs ${boxed} (${result.reason})`];
  });
  assert.deepEqual(failures, []);
});

mathTrain.test("an answer is extracted from every MATH training solution", async () => {
  const items = await loadMathJsonl(mathTrain.path);
  assert.equal(items.length, 7500);
  const missing = items.filter((item) => extractAnswer(item.solution) === null).map((item) => item.id);
  assert.deepEqual(missing, []);
  assert.ok(items.every((item) => item.answer !== null));
});

Deno.test("goldAnswer prefers `answer`, else the solution's last \\boxed", () => {
  assert.equal(goldAnswer({ answer: "5", solution: "\\boxed{6}" }), "5");
  assert.equal(goldAnswer({ solution: "\\boxed{1} and \\boxed{\\frac{1}{2}}" }), "\\frac{1}{2}");
  assert.equal(goldAnswer({ solution: "no box" }), null);
});

Deno.test("parseMathJsonl names the malformed line", () => {
  assert.throws(
    () => parseMathJsonl('{"problem": "p", "solution": "\\\\boxed{1}"}\n{oops', "x.jsonl"),
    /x\.jsonl:2:/,
  );
});

Deno.test("loadMathDirectory reads the original split/subject/N.json layout", async () => {
  const root = await Deno.makeTempDir();
  try {
    const split = join(root, "test");
    for (
      const [subject, number, answer] of [["algebra", 10, "3"], ["algebra", 2, "x"], ["geometry", 1, "\\pi"]]
    ) {
      await Deno.mkdir(join(split, String(subject)), { recursive: true });
      const record = { problem: "p", level: "Level 3", type: "Algebra", solution: `so \\boxed{${answer}}` };
      await Deno.writeTextFile(join(split, String(subject), `${number}.json`), JSON.stringify(record));
    }
    const problems = await loadMathDirectory(split);
    assert.deepEqual(problems.map((p) => [p.id, p.answer, p.level]), [
      ["test/algebra/2.json", "x", 3],
      ["test/algebra/10.json", "3", 3],
      ["test/geometry/1.json", "\\pi", 3],
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
