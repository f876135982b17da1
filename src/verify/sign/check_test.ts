import assert from "node:assert/strict";
import { checkSign, parseSignExpression, parseSignPuzzle, signPuzzleText } from "./check.ts";

const puzzle = parseSignPuzzle("Make 3 from 3 5 2 7.");

Deno.test("parseSignPuzzle reads the target and the operands, and round-trips", () => {
  assert.deepEqual(puzzle, { target: 3, operands: [3, 5, 2, 7] });
  assert.equal(signPuzzleText(puzzle), "Make 3 from 3 5 2 7.");
  assert.deepEqual(parseSignPuzzle("Make -1 from 1 2."), { target: -1, operands: [1, 2] });
  assert.throws(() => parseSignPuzzle("Compute 3+5."), /not a puzzle/);
});

Deno.test("a boxed expression of the operands in order that equals the target is right", () => {
  const verdict = checkSign("3+5=8, 8+2=10, 10-7=3. \\boxed{3+5+2-7}", puzzle);
  assert.deepEqual(verdict, { correct: true, extracted: "3+5+2-7", reason: "correct", value: 3 });
  assert.equal(checkSign("\\boxed{ 3 + 5 + 2 - 7 }", puzzle).correct, true);
});

Deno.test("the last boxed answer counts, and the chain before it is not judged", () => {
  assert.equal(checkSign("\\boxed{3+5-2+7} no: \\boxed{3+5+2-7}", puzzle).correct, true);
  assert.equal(checkSign("\\boxed{3+5+2-7} no: \\boxed{3+5-2+7}", puzzle).reason, "wrong value");
  assert.equal(checkSign("3+5=9, 9+2=3. \\boxed{3+5+2-7}", puzzle).correct, true);
});

Deno.test("wrong responses: wrong value, wrong operands, wrong order, value only, not boxed, other operators", () => {
  const reason = (response: string) => checkSign(response, puzzle).reason;
  assert.equal(reason("3+5=8, 8-2=6, 6+7=13. \\boxed{3+5-2+7}"), "wrong value");
  assert.equal(reason("\\boxed{3+5+2-6}"), "wrong operands");
  assert.equal(reason("\\boxed{3+5+2}"), "wrong operands");
  assert.equal(reason("\\boxed{3+5+2-7+0}"), "wrong operands");
  assert.equal(reason("\\boxed{5+3+2-7}"), "operands out of order");
  assert.equal(reason("\\boxed{3}"), "boxed value only");
  assert.equal(reason("3+5=8, 8+2=10, 10-7=3. The answer is 3+5+2-7."), "no boxed answer");
  assert.equal(reason("\\boxed{3*5+2-7}"), "not an expression of + and -");
  assert.equal(reason("\\boxed{-3+5+2+7}"), "not an expression of + and -");
  assert.equal(reason("\\boxed{}"), "not an expression of + and -");
});

Deno.test("parseSignExpression splits operands and signs", () => {
  assert.deepEqual(parseSignExpression("3+5-2"), { operands: [3, 5, 2], signs: [1, 1, -1] });
  assert.equal(parseSignExpression("3+-5"), null);
});
