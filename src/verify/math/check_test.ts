import assert from "node:assert/strict";
import { checkAnswer, compareAnswers } from "./check.ts";

Deno.test("checkAnswer extracts from full responses and judges them", () => {
  const cases: [string, string, boolean][] = [
    ["We find $\\frac{2}{4}$, so the answer is $\\boxed{\\dfrac{1}{2}}$.", "\\frac{1}{2}", true],
    ["Final Answer: The final answer is $0.5$. I hope it is correct.", "\\frac12", true],
    ["Final Answer: The final answer is $0.6$. I hope it is correct.", "\\frac12", false],
    ["The answer is \\dfrac{1}{2}.", "\\frac{1}{2}", true],
    ["So there are **1,000** ways.", "1000", true],
    ["Hence $x \\in \\boxed{[0,9)}$", "(0,9)", false],
    ["The roots are $\\boxed{2, -3}$", "-3, 2", true],
    ["Thus \\boxed{10}", "1000", false],
  ];
  for (const [response, gold, correct] of cases) {
    const result = checkAnswer(response, gold);
    assert.equal(result.correct, correct, `${response} vs ${gold}: ${result.reason}`);
    assert.notEqual(result.extracted, null);
  }
});

Deno.test("checkAnswer reports a missing answer instead of throwing", () => {
  const result = checkAnswer(
    "I do not know, this problem has no clear approach and I give up trying.\nSorry.",
    "3",
  );
  assert.deepEqual([result.correct, result.extracted], [false, null]);
  assert.match(result.reason, /no answer/);
});

Deno.test("checkAnswer never throws on hostile input", () => {
  const inputs = [
    "\\boxed{\\frac{}{}}",
    "\\boxed{((((}",
    "\\boxed{2^{2^{2^{2^{2^{2}}}}}}",
    "\\boxed{10^{10^{10}}}",
    "\\boxed{\\}",
  ];
  for (const response of inputs) {
    const result = checkAnswer(response, "1");
    assert.equal(result.correct, false, response);
  }
  const wrongTypes = checkAnswer(undefined as unknown as string, 3 as unknown as string);
  assert.equal(wrongTypes.correct, false);
});

Deno.test("a check stays within its time budget plus one bounded engine call", () => {
  const started = performance.now();
  compareAnswers("\\sin(x)^{20} + \\cos(x)^{20}", "\\sum_{k=0}^{10} \\binom{10}{k} x^k", {
    timeBudgetMs: 50,
  });
  assert.ok(performance.now() - started < 2000);
});
