/**
 * The toy-sign checker. A puzzle "Make 6 from 3 5 2 7." asks for the given operands, in the given order,
 * joined by + and - so that the expression equals the target; the answer is the last `\boxed{}` of a response:
 * `3+5=8, 8-2=6, 6-7=-1. \boxed{3+5-2-7}` is wrong (its value is -1), `\boxed{3+5+2-7}` is right. The worked
 * chain before the box is not judged: it is the model's scratch work. A boxed number alone (`\boxed{6}`) is wrong: the task is the signs.
 *
 * ```ts
 * import { checkSign, parseSignPuzzle } from "./check.ts";
 * const puzzle = parseSignPuzzle("Make 3 from 3 5 2 7.");
 * checkSign("3+5=8, 8-2=6, 6-7=-1. \\boxed{3+5+2-7}", puzzle).correct; // true (3+5+2-7 = 3)
 * ```
 *
 * @module
 */
import { lastBoxed } from "../math/extract.ts";

/** A sign puzzle: reach `target` with `operands` in order, joined by + and -. */
export interface SignPuzzle {
  target: number;
  operands: number[];
}

/** Why a response is right or wrong. */
export type SignReason =
  | "correct"
  | "no boxed answer"
  | "not an expression of + and -"
  | "boxed value only"
  | "wrong operands"
  | "operands out of order"
  | "wrong value";

/** The verdict on one response. */
export interface SignVerdict {
  correct: boolean;
  /** The boxed text, spaces removed (null when there is none). */
  extracted: string | null;
  reason: SignReason;
  /** The boxed expression's value when it is an expression of + and -. */
  value?: number;
}

const PUZZLE = /^Make (-?\d+) from (\d+(?: \d+)+)\.$/;
const EXPRESSION = /^\d+(?:[+-]\d+)*$/;

/** Reads "Make 6 from 3 5 2 7." (throws, naming the text, when it is not of that form). */
export function parseSignPuzzle(statement: string): SignPuzzle {
  const match = PUZZLE.exec(statement.trim());
  if (!match) {
    throw new Error(`toy-sign: "${statement}" is not a puzzle of the form "Make 6 from 3 5 2 7."`);
  }
  return { target: Number(match[1]), operands: match[2].split(" ").map(Number) };
}

/** The statement of a puzzle: "Make 6 from 3 5 2 7.". */
export function signPuzzleText(puzzle: SignPuzzle): string {
  return `Make ${puzzle.target} from ${puzzle.operands.join(" ")}.`;
}

/** The operands and signs of an expression such as "3+5-2": operands [3, 5, 2], signs [+1, +1, -1]. */
export function parseSignExpression(expression: string): { operands: number[]; signs: number[] } | null {
  if (!EXPRESSION.test(expression)) return null;
  const operands: number[] = [];
  const signs: number[] = [];
  for (const [, sign, digits] of `+${expression}`.matchAll(/([+-])(\d+)/g)) {
    signs.push(sign === "+" ? 1 : -1);
    operands.push(Number(digits));
  }
  return { operands, signs };
}

/** Judges a response: its last boxed expression must use the operands in order and equal the target. */
export function checkSign(response: string, puzzle: SignPuzzle): SignVerdict {
  const boxed = lastBoxed(response);
  if (boxed === null) return { correct: false, extracted: null, reason: "no boxed answer" };
  const extracted = boxed.replace(/\s+/g, "");
  const parsed = parseSignExpression(extracted);
  if (!parsed) return { correct: false, extracted, reason: "not an expression of + and -" };
  const value = parsed.operands.reduce((sum, operand, i) => sum + parsed.signs[i] * operand, 0);
  const verdict = (reason: SignReason): SignVerdict => ({
    correct: reason === "correct",
    extracted,
    reason,
    value,
  });
  if (parsed.operands.length === 1 && puzzle.operands.length > 1) return verdict("boxed value only");
  if (!sameList(parsed.operands, puzzle.operands)) {
    const sorted = (list: number[]) => [...list].sort((a, b) => a - b);
    return verdict(
      sameList(sorted(parsed.operands), sorted(puzzle.operands)) ? "operands out of order" : "wrong operands",
    );
  }
  return verdict(value === puzzle.target ? "correct" : "wrong value");
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}
