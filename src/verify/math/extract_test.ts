import assert from "node:assert/strict";
import { extractAnswer, extractWithSource, lastBoxed } from "./extract.ts";

Deno.test("lastBoxed takes the last brace-balanced \\boxed or \\fbox", () => {
  assert.equal(lastBoxed("a \\boxed{1} then \\boxed{\\frac{1}{2}}."), "\\frac{1}{2}");
  assert.equal(lastBoxed("so \\fbox{x^{2}}"), "x^{2}");
  assert.equal(lastBoxed("so $\\boxed 5$."), "5");
  assert.equal(lastBoxed("\\boxed{\\{1,2\\}}"), "\\{1,2\\}");
  assert.equal(lastBoxed("unbalanced \\boxed{1"), null);
  assert.equal(lastBoxed("nothing here"), null);
});

Deno.test("extractAnswer reads each answer form", () => {
  const cases: [string, string | null, string | null][] = [
    ["Thus $x = \\boxed{7}$.", "7", "boxed"],
    ["Final Answer: The final answer is $\\frac{3}{4}$. I hope it is correct.", "\\frac{3}{4}", "minerva"],
    ["Final Answer: The final answer is 12. I hope it is correct.", "12", "minerva"],
    ["So the answer is $(1, 2)$.", "(1, 2)", "answerIs"],
    ["Therefore the answer is \\dfrac{1}{2}.", "\\dfrac{1}{2}", "answerIs"],
    ["Answer: 3.5", "3.5", "answerIs"],
    ["We get **42** apples in total", "42", "bold"],
    ["The result: **$\\sqrt{2}$**", "\\sqrt{2}", "bold"],
    ["First $x=1$, and then we find \\(y = 5\\)", "y = 5", "lastMath"],
    ["We compute.\n\\[\\frac{7}{2}\\]", "\\frac{7}{2}", "lastMath"],
    ["\\dfrac{1}{2}", "\\dfrac{1}{2}", "whole"],
    ["I could not solve this problem, sorry.\nIt is too hard for me to do it now.", null, null],
    ["", null, null],
  ];
  for (const [text, answer, source] of cases) {
    const found = extractWithSource(text);
    assert.equal(found?.answer ?? null, answer, text);
    assert.equal(found?.source ?? null, source, text);
  }
});

Deno.test("extractAnswer follows a configured priority", () => {
  const text = "The answer is $3$. Check: \\boxed{4}";
  assert.equal(extractAnswer(text), "4");
  assert.equal(extractAnswer(text, { priority: ["answerIs", "boxed"] }), "3");
  assert.equal(extractAnswer(text, { priority: ["minerva"] }), null);
});

Deno.test("the Minerva form wins over earlier math", () => {
  const text = "We have $a = 3$ and $b = 4$.\nFinal Answer: The final answer is $7$. I hope it is correct.";
  assert.equal(extractAnswer(text), "7");
});

Deno.test("plain-text answers stop at the end of the sentence and escaped dollars stay inside", () => {
  assert.equal(extractAnswer("So the answer is 5 because the sum is odd."), "5");
  assert.equal(extractAnswer("The answer is 12. Next we check it."), "12");
  assert.equal(
    extractAnswer("Final Answer: The final answer is $\\$18.90$. I hope it is correct."),
    "\\$18.90",
  );
});

Deno.test("answer labels in markdown emphasis: colon inside or outside the bold, headings, trailing marks", () => {
  const cases: [string, string][] = [
    ["Thus the probability is 3/8.\n\n**Answer:** $\\frac{3}{8}$", "\\frac{3}{8}"],
    ["**Final Answer**: 17.", "17"],
    ["**Answer**: $x = -4$", "x = -4"],
    ["__Final Answer:__ 9", "9"],
    ["*Final answer*: $2\\sqrt{3}$", "2\\sqrt{3}"],
    ["## Answer\n\n$$\\frac{\\pi}{4}$$", "\\frac{\\pi}{4}"],
    ["**Answer: $\\frac{5}{2}$**", "\\frac{5}{2}"],
    ["The answer is **$-1$**.", "-1"],
    ["**Final answer**\n\n**12**", "12"],
    ["> **Answer:** 64.", "64"],
    ["**Answer:** 10!", "10!"],
    ["**Answer:** The minimum value is $-\\frac{9}{4}$.", "-\\frac{9}{4}"],
    ["Final answer: $3$ and $5$", "3, 5"],
    ["**Final Answer: (B)**", "(B)"],
    ["**Answer.** 5", "5"],
    ["**Final answer:**\n```\n5\n```", "5"],
    ["The answer: `5`", "5"],
  ];
  for (const [text, answer] of cases) assert.equal(extractAnswer(text), answer, text);
});

Deno.test("a bold answer label does not swallow the answer and prose answers still end at the sentence", () => {
  assert.equal(extractAnswer("**Final Answer:** 9. We double-check: 4 + 5 = 9."), "9");
  assert.equal(extractAnswer("To find the answer, we add.\nThe answer is 6."), "6");
  assert.equal(extractAnswer("Let's check the answer: it must be positive. So $\\boxed{4}$"), "4");
  assert.equal(extractAnswer("The sum is **7** and the product is **12**."), "12");
  assert.equal(extractAnswer("**Answer:** 5\n\nChecking: the answer is correct."), "5");
});
