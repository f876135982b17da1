/**
 * toy-math: multi-step integer arithmetic in the MATH layout, for a tiny character-level model.
 *
 * A problem is "Compute 9+6+2-3." and its worked solution does one operation per step, every intermediate
 * result written out, and ends with the answer in \boxed{}, which the math checker reads:
 * "9+6=15, 15+2=17, 17-3=14. \boxed{14}".
 *
 * Why single-digit operands: a 64-wide, 2-layer character-level model writes digits left to right, and a step
 * such as "15+2=17" needs only the ones digits and one carry, which it learns in a few hundred SFT updates on
 * two CPU cores; with two-digit operands ("88+68=156") it stayed below 5% (see workflows/README.md). Three
 * such steps put its first-attempt accuracy in the 30-60% range the default workflow needs for a reward signal.
 *
 * Why a tiny model can self-correct here: its mistakes are local (one step off by one, carried into the later
 * steps) and every intermediate result is written out, so a second attempt can redo the steps against the
 * visible first attempt. The SFT corpus teaches the two-attempt format with traces whose first attempt is a
 * solution with an injected step error (propagated through the later steps, as a real slip would be) and
 * whose second attempt either rewrites the correct solution or, like a base model that does not know how to
 * correct itself, copies the first attempt. That leaves SCoRe room: learning when to redo rather than copy.
 *
 * @module
 */
import type { SftExample } from "../../src/training/sft_example.ts";

/** A uniform random source in [0, 1). */
export type Uniform = () => number;

/** Knobs that set the difficulty. */
export interface MathTaskOptions {
  /** Operands are drawn from [minOperand, maxOperand]. */
  minOperand: number;
  maxOperand: number;
  /** Number of operations (+ or -) per problem. */
  operations: number;
}

/** The default difficulty: four single-digit operands, three operations. */
export const DEFAULT_MATH_OPTIONS: MathTaskOptions = { minOperand: 1, maxOperand: 9, operations: 3 };

/** One operation of a problem. */
interface Step {
  left: number;
  op: "+" | "-";
  right: number;
}

/** A toy-math problem in the MATH layout (problem, solution, answer) plus its id. */
export interface MathRecord {
  id: string;
  problem: string;
  solution: string;
  answer: string;
}

/** An SFT example: a worked solution, or a two-attempt trace whose second attempt is the completion. */
export type SftRecord = SftExample;

function randomInt(random: Uniform, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** Draws operands and operators so that no intermediate result is negative. */
function drawOperands(
  random: Uniform,
  options: MathTaskOptions,
): { first: number; ops: Step["op"][]; rest: number[] } {
  for (;;) {
    const first = randomInt(random, options.minOperand, options.maxOperand);
    const ops: Step["op"][] = [];
    const rest: number[] = [];
    for (let i = 0; i < options.operations; i++) {
      ops.push(random() < 0.5 ? "+" : "-");
      rest.push(randomInt(random, options.minOperand, options.maxOperand));
    }
    if (ops.every((_, i) => partial(first, ops, rest, i + 1) >= 0)) return { first, ops, rest };
  }
}

function partial(first: number, ops: readonly Step["op"][], rest: readonly number[], count: number): number {
  let value = first;
  for (let i = 0; i < count; i++) value = ops[i] === "+" ? value + rest[i] : value - rest[i];
  return value;
}

/** The problem statement of an expression such as "37+48-19". */
export function problemText(expression: string): string {
  return `Compute ${expression}.`;
}

/** Writes a worked solution; `slip` adds an error to one step's result, carried into the later steps. */
export function solutionText(first: number, ops: readonly Step["op"][], rest: readonly number[], slip?: {
  step: number;
  error: number;
}): string {
  const parts: string[] = [];
  let value = first;
  ops.forEach((op, i) => {
    const left = value;
    value = op === "+" ? left + rest[i] : left - rest[i];
    if (slip && slip.step === i) value += slip.error;
    parts.push(`${left}${op}${rest[i]}=${value}`);
  });
  return `${parts.join(", ")}. \\boxed{${value}}`;
}

/** Parses "Compute 37+48-19." back into its numbers (used by tests and by checks of generated data). */
export function parseProblem(problem: string): { first: number; ops: Step["op"][]; rest: number[] } {
  const match = /^Compute (\d+)((?:[+-]\d+)+)\.$/.exec(problem);
  if (!match) throw new Error(`toy-math: "${problem}" is not of the form "Compute 37+48-19."`);
  const ops: Step["op"][] = [];
  const rest: number[] = [];
  for (const [, op, digits] of match[2].matchAll(/([+-])(\d+)/g)) {
    ops.push(op as Step["op"]);
    rest.push(Number(digits));
  }
  return { first: Number(match[1]), ops, rest };
}

/** Draws one problem with its worked solution. */
export function drawProblem(random: Uniform, id: string, options = DEFAULT_MATH_OPTIONS): MathRecord {
  const { first, ops, rest } = drawOperands(random, options);
  const expression = `${first}${ops.map((op, i) => `${op}${rest[i]}`).join("")}`;
  return {
    id,
    problem: problemText(expression),
    solution: solutionText(first, ops, rest),
    answer: String(partial(first, ops, rest, ops.length)),
  };
}

/** Typical slips: a wrong last digit (1, the toy model's usual error) or a wrong carry or borrow (10). */
const SLIPS = [-10, -1, 1, 10];

/** A first attempt with one slip, chosen so that no written number is negative. */
export function wrongAttempt(random: Uniform, problem: string): string {
  const { first, ops, rest } = parseProblem(problem);
  for (;;) {
    const slip = {
      step: randomInt(random, 0, ops.length - 1),
      error: SLIPS[randomInt(random, 0, SLIPS.length - 1)],
    };
    const text = solutionText(first, ops, rest, slip);
    if (!text.includes("=-") && !text.includes("{-")) return text;
  }
}

/** Settings of the SFT corpus. */
export interface TraceOptions {
  /** Share of traces whose first attempt has a slip. */
  wrongFirstShare: number;
  /** Among those, share whose second attempt is the correct solution (the rest copy the first attempt). */
  fixShare: number;
}

/**
 * Default trace mix: half the first attempts wrong, half of those fixed. With it the base model corrects a few
 * of its own wrong first attempts and breaks more of its right ones (as the paper's base model does), so it has
 * seen the correction behaviour and Stage I / II have both kinds of transition to learn from.
 */
export const DEFAULT_TRACE_OPTIONS: TraceOptions = { wrongFirstShare: 0.5, fixShare: 0.5 };

/** A two-attempt trace for a problem: a first attempt (maybe wrong) and a second that fixes it or copies it. */
export function traceFor(
  random: Uniform,
  record: MathRecord,
  id: string,
  options = DEFAULT_TRACE_OPTIONS,
): SftRecord {
  const wrong = random() < options.wrongFirstShare;
  const attempt1 = wrong ? wrongAttempt(random, record.problem) : record.solution;
  const fixed = wrong && random() < options.fixShare;
  return {
    id,
    kind: "trace",
    problem: record.problem,
    attempt1,
    completion: fixed ? record.solution : attempt1,
  };
}
