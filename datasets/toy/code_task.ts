/**
 * toy-code: HumanEval-format Python problems small enough for a tiny character-level model.
 *
 * Each problem asks for a linear function given two of its values, for example
 *
 *     def f(x):
 *         """f(1) == 5 and f(2) == 8."""
 *
 * with the body "    return 3*x+2\n" as the canonical solution. The two shown points are consecutive, so the
 * slope is the difference of the two values; the model also has to work out the intercept. The hidden test at a third point rejects an answer that
 * only fits the two shown values. A wrong first attempt is usually one coefficient off by one, which a second
 * attempt can detect by re-evaluating its own body at the shown points. The problems follow HumanEval's
 * fields (task_id, prompt, canonical_solution, test, entry_point), so the sandbox runs
 * prompt + completion + test + check(entry_point).
 *
 * @module
 */
import type { SftRecord, Uniform } from "./math_task.ts";

/** A problem in HumanEval's format. */
export interface CodeRecord {
  task_id: string;
  prompt: string;
  canonical_solution: string;
  test: string;
  entry_point: string;
}

/** Knobs that set the difficulty. */
export interface CodeTaskOptions {
  /** Slopes are drawn from [1, maxSlope]. */
  maxSlope: number;
  /** Intercepts are drawn from [-maxIntercept, maxIntercept]. */
  maxIntercept: number;
  /** The docstring shows f at x0 and x0 + 1, with x0 drawn from [0, maxStart]. */
  maxStart: number;
  /** The hidden test point is drawn from [x0 + 2, x0 + 2 + hiddenSpread]. */
  hiddenSpread: number;
}

/** The default difficulty. */
export const DEFAULT_CODE_OPTIONS: CodeTaskOptions = {
  maxSlope: 12,
  maxIntercept: 12,
  maxStart: 3,
  hiddenSpread: 5,
};

function randomInt(random: Uniform, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** The body `    return a*x+b` (or `-b`, or no intercept when b is 0). */
export function bodyText(slope: number, intercept: number): string {
  const tail = intercept === 0 ? "" : intercept > 0 ? `+${intercept}` : `${intercept}`;
  return `    return ${slope}*x${tail}\n`;
}

/** Reads a body written by {@link bodyText} back into its coefficients; null when it is not of that form. */
export function parseBody(body: string): { slope: number; intercept: number } | null {
  const match = /^ {4}return (\d+)\*x([+-]\d+)?\n?$/.exec(body);
  if (!match) return null;
  return { slope: Number(match[1]), intercept: match[2] ? Number(match[2]) : 0 };
}

/** Draws one problem. */
export function drawCodeProblem(random: Uniform, taskId: string, options = DEFAULT_CODE_OPTIONS): CodeRecord {
  const slope = randomInt(random, 1, options.maxSlope);
  const intercept = randomInt(random, -options.maxIntercept, options.maxIntercept);
  const value = (x: number) => slope * x + intercept;
  const x1 = randomInt(random, 0, options.maxStart);
  const x2 = x1 + 1;
  const hidden = randomInt(random, x2 + 1, x2 + 1 + options.hiddenSpread);
  const asserts = [x1, x2, hidden].map((x) => `    assert candidate(${x}) == ${value(x)}\n`).join("");
  return {
    task_id: taskId,
    prompt: `def f(x):\n    """f(${x1}) == ${value(x1)} and f(${x2}) == ${value(x2)}."""\n`,
    canonical_solution: bodyText(slope, intercept),
    test: `def check(candidate):\n${asserts}`,
    entry_point: "f",
  };
}

/** A first attempt with one coefficient off by one (the slope stays at least 1). */
export function wrongBody(random: Uniform, canonical: string): string {
  const body = parseBody(canonical);
  if (!body) {
    throw new Error(`toy-code: canonical solution ${JSON.stringify(canonical)} is not "    return a*x+b"`);
  }
  const delta = random() < 0.5 ? -1 : 1;
  if (random() < 0.5 && body.slope + delta >= 1) return bodyText(body.slope + delta, body.intercept);
  return bodyText(body.slope, body.intercept + delta);
}

/** Trace mix, as for toy-math. */
export interface CodeTraceOptions {
  wrongFirstShare: number;
  fixShare: number;
}

/** The toy-code trace mix: half the first bodies wrong, 40% of those fixed. */
export const DEFAULT_CODE_TRACE_OPTIONS: CodeTraceOptions = { wrongFirstShare: 0.5, fixShare: 0.4 };

/** A two-attempt trace: a first body (maybe wrong) and a second that fixes it or copies it. */
export function codeTraceFor(
  random: Uniform,
  record: CodeRecord,
  id: string,
  options: CodeTraceOptions,
): SftRecord {
  const wrong = random() < options.wrongFirstShare;
  const attempt1 = wrong ? wrongBody(random, record.canonical_solution) : record.canonical_solution;
  const fixed = wrong && random() < options.fixShare;
  return {
    id,
    kind: "trace",
    problem: record.prompt,
    attempt1,
    completion: fixed ? record.canonical_solution : attempt1,
  };
}
