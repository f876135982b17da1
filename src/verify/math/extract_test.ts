import assert from "node:assert/strict";
import { z } from "zod";
import { extractAnswer, extractWithSource, lastBoxed } from "./extract.ts";
import tables from "./extract_test.json" with { type: "json" };

/** The case tables: [response, answer, source] per answer form, [response, answer] per markdown label. */
const CASES = z.strictObject({
  "answer forms": z.array(z.tuple([z.string(), z.string().nullable(), z.string().nullable()])).min(1),
  "markdown labels": z.array(z.tuple([z.string(), z.string()])).min(1),
}).parse(tables);

Deno.test("lastBoxed takes the last brace-balanced \\boxed or \\fbox", () => {
  assert.equal(lastBoxed("a \\boxed{1} then \\boxed{\\frac{1}{2}}."), "\\frac{1}{2}");
  assert.equal(lastBoxed("so \\fbox{x^{2}}"), "x^{2}");
  assert.equal(lastBoxed("so $\\boxed 5$."), "5");
  assert.equal(lastBoxed("\\boxed{\\{1,2\\}}"), "\\{1,2\\}");
  assert.equal(lastBoxed("unbalanced \\boxed{1"), null);
  assert.equal(lastBoxed("nothing here"), null);
});

Deno.test("extractAnswer reads each answer form", () => {
  for (const [text, answer, source] of CASES["answer forms"]) {
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
  for (const [text, answer] of CASES["markdown labels"]) assert.equal(extractAnswer(text), answer, text);
});

Deno.test("a bold answer label does not swallow the answer and prose answers still end at the sentence", () => {
  assert.equal(extractAnswer("**Final Answer:** 9. We double-check: 4 + 5 = 9."), "9");
  assert.equal(extractAnswer("To find the answer, we add.\nThe answer is 6."), "6");
  assert.equal(extractAnswer("Let's check the answer: it must be positive. So $\\boxed{4}$"), "4");
  assert.equal(extractAnswer("The sum is **7** and the product is **12**."), "12");
  assert.equal(extractAnswer("**Answer:** 5\n\nChecking: the answer is correct."), "5");
});
