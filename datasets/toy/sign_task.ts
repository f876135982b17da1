/**
 * toy-sign: a sign puzzle in which a wrong first attempt shows its own error. "Make 3 from 3 5 2 7." is
 * answered with a worked chain and a boxed expression of the operands, in the given order, joined by + and -:
 * "3+5=8, 8+2=10, 10-7=3. \boxed{3+5+2-7}". The checker (src/verify/sign) judges the boxed expression.
 *
 * Why self-correction is learnable here (issue 11): a wrong first attempt, computed truthfully, ends its chain
 * on a value that differs from the target, and both attempts can read that value and the target from the
 * context; their gap tells which sign to flip (flipping +x to -x lowers the value by 2x). Checking an attempt
 * is easier than solving the puzzle, with no outside feedback.
 *
 * The SFT corpus is designed so that the base model behaves like the paper's base models: first attempts are
 * honest (a wrong chain is computed truthfully, never forced to the target); most second attempts copy the
 * first; a few traces are checkable fixes, whose second attempt searches the first attempt's single sign
 * flips, each a truthful chain, until one ends on the target ({@link fixText}). They are rare enough that the
 * base model mostly copies at greedy decoding (its Δ(t1,t2) is about zero or below), so RL has a behaviour
 * to find and amplify.
 *
 * @module
 */
import { parseSignExpression, type SignPuzzle, signPuzzleText } from "../../src/verify/sign/check.ts";
import type { SftExample } from "../../src/training/sft_example.ts";
import type { Uniform } from "./math_task.ts";

/** Knobs that set the difficulty. */
export interface SignTaskOptions {
  /** Operands per puzzle. */
  operands: number;
  /** Operands are drawn from [minOperand, maxOperand]. */
  minOperand: number;
  maxOperand: number;
}

/** The default difficulty: four single-digit operands (three signs to choose, eight assignments). */
export const DEFAULT_SIGN_OPTIONS: SignTaskOptions = { operands: 4, minOperand: 1, maxOperand: 9 };

/** A toy-sign problem: the statement, a worked solution (one of possibly several) and its boxed expression. */
export interface SignRecord {
  id: string;
  problem: string;
  target: number;
  operands: number[];
  solution: string;
  answer: string;
}

function randomInt(random: Uniform, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** The value of operands with signs (+1 / -1 each; the first sign is always +1). */
export function signedValue(operands: readonly number[], signs: readonly number[]): number {
  return operands.reduce((sum, operand, i) => sum + signs[i] * operand, 0);
}

/**
 * A worked chain, one operation per step with every partial result written truthfully, then the boxed
 * expression: chainText([3, 5, 2, 7], [1, 1, -1, 1]) is "3+5=8, 8-2=6, 6+7=13. \boxed{3+5-2+7}".
 */
export function chainText(operands: readonly number[], signs: readonly number[]): string {
  return `${chainSteps(operands, signs)}. \\boxed{${expressionText(operands, signs)}}`;
}

/** The steps of a worked chain, "3+5=8, 8-2=6, 6+7=13", each partial result written truthfully. */
export function chainSteps(operands: readonly number[], signs: readonly number[]): string {
  const steps: string[] = [];
  let value = operands[0];
  for (let i = 1; i < operands.length; i++) {
    const op = signs[i] > 0 ? "+" : "-";
    const next = value + signs[i] * operands[i];
    steps.push(`${value}${op}${operands[i]}=${next}`);
    value = next;
  }
  return steps.join(", ");
}

/** The expression "3+5-2+7" of operands with signs. */
export function expressionText(operands: readonly number[], signs: readonly number[]): string {
  return operands.map((operand, i) => (i === 0 ? "" : signs[i] > 0 ? "+" : "-") + operand).join("");
}

/** Every sign assignment (first sign +1) of `count` operands, in a fixed order. */
export function allSigns(count: number): number[][] {
  const out: number[][] = [];
  for (let mask = 0; mask < 2 ** (count - 1); mask++) {
    out.push([1, ...Array.from({ length: count - 1 }, (_, i) => (mask >> i) & 1 ? -1 : 1)]);
  }
  return out;
}

/** Draws a puzzle: random operands and signs; the target is their value (kept non-negative). */
export function drawSignPuzzle(random: Uniform, id: string, options = DEFAULT_SIGN_OPTIONS): SignRecord {
  for (;;) {
    const operands = Array.from(
      { length: options.operands },
      () => randomInt(random, options.minOperand, options.maxOperand),
    );
    const signs = [1, ...operands.slice(1).map(() => (random() < 0.5 ? 1 : -1))];
    const target = signedValue(operands, signs);
    if (target < 0) continue;
    return {
      id,
      problem: signPuzzleText({ target, operands }),
      target,
      operands,
      solution: chainText(operands, signs),
      answer: expressionText(operands, signs),
    };
  }
}

/**
 * The checkable fix of a wrong attempt: a search over its single sign flips, from the last sign towards the
 * second and at most `tries` of them, each written as a truthful chain, stopping at the first that ends on the
 * target, then its boxed expression. Each try uses only the skill of a first attempt (a chain of one-digit
 * steps; the first try repeats attempt 1's chain up to its last step) and a comparison of the chain's end with
 * the target, which a tiny model can learn, unlike computing which sign to flip from the gap (two-digit
 * arithmetic the toy model does not learn in the workflow's budget). Null when none of the tries reaches the
 * target (then the attempt is not used for a fix trace). After "3+5=8, 8-2=6, 6-7=-1. \\boxed{3+5-2-7}" for
 * "Make 3 from 3 5 2 7.", with 2 tries: "3+5=8, 8-2=6, 6+7=13; 3+5=8, 8+2=10, 10-7=3. \\boxed{3+5+2-7}".
 */
export function fixText(
  puzzle: SignPuzzle,
  signs: readonly number[],
  tries = signs.length - 1,
): string | null {
  if (signedValue(puzzle.operands, signs) === puzzle.target) return null;
  const chains: string[] = [];
  for (let i = signs.length - 1; i >= Math.max(1, signs.length - tries); i--) {
    const flipped = signs.map((sign, j) => (j === i ? -sign : sign));
    chains.push(chainSteps(puzzle.operands, flipped));
    if (signedValue(puzzle.operands, flipped) === puzzle.target) {
      return `${chains.join("; ")}. \\boxed{${expressionText(puzzle.operands, flipped)}}`;
    }
  }
  return null;
}

/** Settings of the SFT corpus: its first-attempt solutions and its two-attempt traces. */
export interface SignTraceOptions {
  /**
   * Share of first-attempt examples whose signs are wrong, their chain computed truthfully: without them the
   * model learns that a chain always ends on the target and forces its arithmetic there when its signs are
   * wrong, which hides the error from the second attempt.
   */
  wrongSolutionShare: number;
  /** Share of traces whose first attempt is wrong (computed truthfully). */
  wrongFirstShare: number;
  /** Among those, share whose second attempt is a checkable fix (the rest copy the first attempt). */
  fixShare: number;
  /**
   * Hinted fixes: traces whose instruction ({@link HINT_INSTRUCTION}) says the first attempt is wrong, with a
   * checkable fix as the second attempt. They teach the repair skill without making the base model use it
   * under the workflow's own instruction, where it mostly copies (like a model that can repair an answer it
   * is told is wrong but seldom does so on its own).
   */
  hintedFixes: number;
  /** Single flips a fix tries, from the last sign on ({@link fixText}); 1 flips the last sign only. */
  fixTries: number;
  /**
   * Among the wrong first attempts that get no fix, share whose second attempt flips the last sign anyway,
   * right or wrong (a truthful chain): the base model then tries a flip when its chain misses the target
   * whether or not the flip can reach it, since which attempts a flip fixes is not visible to it.
   */
  flipShare: number;
  /** Second attempts open with a check of attempt 1's final value against the target ({@link checkText}). */
  checkFirst: boolean;
}

/** The instruction of the hinted fixes: outside feedback, present in SFT only, never in evaluation or RL. */
export const HINT_INSTRUCTION = "The solution above is wrong; find the sign to flip and rewrite it.";

/**
 * The default mix (measured on dev with the default workflow's base model, seed 0: greedy t1 41.5%, t2 41.0%,
 * 181 of 200 second attempts exact copies): a quarter of the first-attempt examples wrong but truthful, half
 * the trace first attempts wrong, a fifth of those fixed by flipping the last sign when that reaches the target
 * (about 10% of the wrong ones in all, since the last flip fixes only some), every other second attempt a copy.
 */
export const DEFAULT_SIGN_TRACE_OPTIONS: SignTraceOptions = {
  wrongSolutionShare: 0.25,
  wrongFirstShare: 0.5,
  fixShare: 0.2,
  hintedFixes: 0,
  fixTries: 1,
  flipShare: 0,
  checkFirst: false,
};

/** The signs of a record's worked solution. */
function solutionSigns(record: SignRecord): number[] {
  const parsed = parseSignExpression(record.answer);
  if (!parsed) throw new Error(`toy-sign: ${JSON.stringify(record)} has no sign expression`);
  return parsed.signs;
}

/**
 * A two-attempt trace: attempt 1 is the worked solution or a wrong assignment computed truthfully; attempt 2
 * copies it or, for a share of the wrong ones, is the checkable fix (then attempt 1 is one flip from a solution).
 */
export function signTraceFor(
  random: Uniform,
  record: SignRecord,
  id: string,
  options = DEFAULT_SIGN_TRACE_OPTIONS,
): SftExample {
  const puzzle = { target: record.target, operands: record.operands };
  const trace = (signs: readonly number[], second: string): SftExample => ({
    id,
    kind: "trace",
    problem: record.problem,
    attempt1: chainText(record.operands, signs),
    completion: options.checkFirst ? `${checkText(puzzle, signs)} ${second}` : second,
  });
  const wrongSigns = allSigns(record.operands.length)
    .filter((signs) => signedValue(record.operands, signs) !== record.target);
  const wrong = wrongSigns.length > 0 && random() < options.wrongFirstShare;
  if (!wrong) return trace(solutionSigns(record), record.solution);
  const fixable = wrongSigns.filter((signs) => fixText(puzzle, signs, options.fixTries) !== null);
  if (fixable.length > 0 && random() < options.fixShare) {
    const signs = fixable[Math.floor(random() * fixable.length)];
    return trace(signs, fixText(puzzle, signs, options.fixTries)!);
  }
  const signs = wrongSigns[Math.floor(random() * wrongSigns.length)];
  const flip = options.flipShare > 0 && random() < options.flipShare;
  return trace(signs, chainText(record.operands, flip ? flipLast(signs) : signs));
}

/**
 * The check a second attempt opens with when `checkFirst` is set: attempt 1's final value against the target,
 * "17 vs 3: no." or "3 vs 3: yes.", so that whether to change the attempt is decided next to a written verdict.
 */
export function checkText(puzzle: SignPuzzle, signs: readonly number[]): string {
  const value = signedValue(puzzle.operands, signs);
  return `${value} vs ${puzzle.target}: ${value === puzzle.target ? "yes" : "no"}.`;
}

/** The signs with the last one flipped. */
export function flipLast(signs: readonly number[]): number[] {
  return signs.map((sign, i) => (i === signs.length - 1 ? -sign : sign));
}

/**
 * The SFT first-attempt example of a record: its worked solution or, for a share `wrongSolutionShare` of them,
 * a wrong assignment's chain computed truthfully.
 */
export function signSolutionExample(
  random: Uniform,
  record: SignRecord,
  id: string,
  options = DEFAULT_SIGN_TRACE_OPTIONS,
): SftExample {
  const wrongSigns = allSigns(record.operands.length)
    .filter((signs) => signedValue(record.operands, signs) !== record.target);
  const signs = wrongSigns.length > 0 && random() < options.wrongSolutionShare
    ? wrongSigns[Math.floor(random() * wrongSigns.length)]
    : solutionSigns(record);
  return { id, kind: "solution", problem: record.problem, completion: chainText(record.operands, signs) };
}

/**
 * A hinted fix: a wrong first attempt that one flip corrects, the hint instruction, and the checkable fix; null
 * when the puzzle has no such attempt.
 */
export function hintedFixFor(
  random: Uniform,
  record: SignRecord,
  id: string,
  options = DEFAULT_SIGN_TRACE_OPTIONS,
): SftExample | null {
  const puzzle = { target: record.target, operands: record.operands };
  const fixable = allSigns(record.operands.length).filter((signs) =>
    signedValue(record.operands, signs) !== record.target && fixText(puzzle, signs, options.fixTries) !== null
  );
  if (fixable.length === 0) return null;
  const signs = fixable[Math.floor(random() * fixable.length)];
  return {
    id,
    kind: "trace",
    problem: record.problem,
    attempt1: chainText(record.operands, signs),
    completion: fixText(puzzle, signs, options.fixTries)!,
    instruction: HINT_INSTRUCTION,
  };
}
