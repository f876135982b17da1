import assert from "node:assert/strict";
import { z } from "zod";
import { checkAnswer, compareAnswers } from "./check.ts";
import tables from "./check_test.json" with { type: "json" };

/** The case tables: [full response, gold answer, expected verdict]. */
const TABLE = z.array(z.tuple([z.string(), z.string(), z.boolean()])).min(1);
const CASES = z.strictObject({ "full responses": TABLE, "bold labels": TABLE }).parse(tables);

Deno.test("checkAnswer extracts from full responses and judges them", () => {
  for (const [response, gold, correct] of CASES["full responses"]) {
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
  for (const [response, gold, correct] of CASES["bold labels"]) {
    const result = checkAnswer(response, gold);
    assert.equal(result.correct, correct, `${response} vs ${gold}: ${result.reason}`);
  }
});
