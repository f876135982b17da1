import assert from "node:assert/strict";
import { engineLimitExceeded, MAX_ANSWER_CHARS, MAX_ITEMS, ordersOfMagnitude } from "./_limits.ts";
import { compareAnswers } from "./check.ts";
import { parseLatex } from "./parse.ts";

/** Inputs that made the compute engine run for seconds or minutes, ignoring its own time limit. */
const RUNAWAY = [
  "\\binom{10^{10}}{10^{5}}",
  "((\\tan(e^e)+10)^{4096})^{4096}",
  "\\sum_{k=1}^{10^7} \\frac{1}{k}",
  "\\prod_{k=1}^{10^{6}} (1+\\frac{1}{k^2})",
  "(10^{10})!",
  "\\sin(10^{50})",
  "2^{2^{100}}",
  "10^{10^{10}}",
  "\\frac{\\sqrt{2}}{2004!}",
];

Deno.test("inputs that run away in the engine are refused by its limits, with the reason", () => {
  for (const latex of RUNAWAY) {
    const reason = engineLimitExceeded([parseLatex(latex)!]);
    assert.match(reason ?? "", /limits of the 100-digit check/, latex);
  }
});

Deno.test("extreme constants within the limits still reach the 100-digit check", () => {
  for (const latex of ["\\pi \\cdot 10^{-20}", "\\sqrt{10^{40}+1}", "e^{-50}", "\\frac{\\sqrt{2}}{100!}"]) {
    assert.equal(engineLimitExceeded([parseLatex(latex)!]), null, latex);
  }
  assert.equal(compareAnswers("\\sqrt{10^{40}+1}", "10^{20}").correct, false);
  assert.equal(compareAnswers("e^{-50}", "\\frac{1}{e^{50}}").correct, true);
});

Deno.test("ordersOfMagnitude bounds factorials, towers and products from above", () => {
  assert.ok(ordersOfMagnitude(parseLatex("2004!")!) >= 5755);
  assert.ok(ordersOfMagnitude(parseLatex("(10^{100})^{100}")!) >= 10_000);
  assert.ok(ordersOfMagnitude(parseLatex("\\pi \\cdot 10^{-20}")!) >= 20);
  assert.ok(ordersOfMagnitude(parseLatex("3")!) < 2);
});

Deno.test("runaway inputs get a verdict from the limits, the same in every run", () => {
  for (const latex of RUNAWAY) {
    const first = compareAnswers("1", latex);
    assert.equal(first.correct, false, latex);
    assert.notEqual(first.path, "error", latex);
    assert.deepEqual(compareAnswers("1", latex), first, latex);
  }
});

Deno.test("answers beyond the size limits are compared as text or refused, not worked on", () => {
  const long = "x+".repeat(MAX_ANSWER_CHARS) + "1";
  assert.match(compareAnswers(long, long.replace(/\+/g, " + ")).reason, /compared as text: identical/);
  assert.equal(compareAnswers(long, "1").correct, false);
  const many = Array.from({ length: MAX_ITEMS + 1 }, (_, k) => k).join(", ");
  const result = compareAnswers(many, many.split(", ").reverse().join(", "));
  assert.deepEqual([result.correct, result.reason], [
    false,
    `an answer with more than ${MAX_ITEMS} items is not compared`,
  ]);
});
