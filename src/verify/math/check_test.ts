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

Deno.test("a sum against a power of trigonometric functions is decided by evaluation, not by the clock", () => {
  const result = compareAnswers("\\sin(x)^{20} + \\cos(x)^{20}", "\\sum_{k=0}^{10} \\binom{10}{k} x^k", {
    timeBudgetMs: 1e-9,
  });
  assert.deepEqual([result.correct, result.path], [false, "numeric"]);
});

Deno.test("checkAnswer judges answers after bold labels, and rejects wrong ones", () => {
  const cases: [string, string, boolean][] = [
    ["Thus the probability is 3/8.\n\n**Answer:** $\\frac{3}{8}$", "\\frac{3}{8}", true],
    ["Thus the probability is 3/7.\n\n**Answer:** $\\frac{3}{7}$", "\\frac{3}{8}", false],
    ["**Final Answer**: 17.", "17", true],
    ["**Final Answer**: 71.", "17", false],
    ["## Answer\n\n$$\\frac{\\pi}{4}$$", "\\frac{\\pi}{4}", true],
    ["## Answer\n\n$$\\frac{\\pi}{3}$$", "\\frac{\\pi}{4}", false],
    ["**Answer:** There is no solution.", "\\emptyset", true],
    ["Therefore, the answer is $\\boxed{\\textbf{(D) } 4}$", "\\text{(D)}", true],
    ["Therefore, the answer is $\\boxed{\\textbf{(C) } 4}$", "\\text{(D)}", false],
    ["**Answer:** (A) $\\frac{1}{2}$", "\\text{(A)}", true],
    ["**Answer:** (B) $\\frac{1}{2}$", "\\text{(A)}", false],
  ];
  for (const [response, gold, correct] of cases) {
    const result = checkAnswer(response, gold);
    assert.equal(result.correct, correct, `${response} vs ${gold}: ${result.reason}`);
  }
});
