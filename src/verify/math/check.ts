/**
 * The answer checker's entry point: extract the response's final answer, normalise both answers, read
 * their structure and compare them. {@link checkAnswer} never throws.
 *
 * Verdicts are deterministic: all work is bounded by the input (answer length, item counts, expression size
 * and a count of engine calls), never by the clock. A wall-clock guard stops only a compute-engine call that
 * runs away despite those limits; the result then has `path: "error"` and a reason starting with
 * `error: time guard`, and is not a verdict.
 *
 * @module
 */
import { MAX_ANSWER_CHARS } from "./_limits.ts";
import { answersEqual } from "./equivalence.ts";
import { checkBudget, TimeGuardError, type VerdictPath } from "./expression.ts";
import { type ExtractorName, extractWithSource, lastBoxed, stripMathDelimiters } from "./extract.ts";
import { normalizeAnswer } from "./normalize.ts";
import { readAnswer } from "./structures.ts";

/** Options for {@link checkAnswer} and {@link compareAnswers}. */
export interface CheckOptions {
  /** The problem text: it settles units and whether answer lists are ordered. */
  problem?: string;
  /**
   * Wall-clock guard of one check in milliseconds (default {@link DEFAULT_TIME_BUDGET_MS}). It never decides a
   * verdict: when it fires, the result is an error (`path: "error"`).
   */
  timeBudgetMs?: number;
  /** Extraction priority for the response (default: boxed, Minerva, "answer is", bold, last math, whole). */
  extractors?: readonly ExtractorName[];
}

/** The verdict of one check. */
export interface CheckResult {
  /** True when the extracted answer equals the gold answer. */
  correct: boolean;
  /** The answer found in the response, or null when it states none. */
  extracted: string | null;
  /** Why: how the answers were compared and what differed. */
  reason: string;
  /** Which comparison decided ("none" when nothing was compared, "error" when the time guard fired). */
  path: VerdictPath | "none" | "error";
}

/**
 * Default wall-clock guard of one check, in milliseconds: far above the slowest check within the limits
 * (under 100 ms at a load average of 14 on 2 cores), so it fires only on a hang the limits did not foresee.
 */
export const DEFAULT_TIME_BUDGET_MS = 5000;

const ORDERED_HINT =
  /\bordered\b|\bin (?:increasing |decreasing |ascending |descending )?order\b|\bin the form\s*\$?\\?\(/i;
/** A problem that asks for a point or vector: `(1, 2)`, `[1, 2]` and `\langle 1, 2 \rangle` are one answer. */
const TUPLE_HINT = /\b(?:ordered (?:pair|triple)s?|points?|vectors?|coordinates)\b/i;

/** An answer without math delimiters or a `\boxed{}` wrapper. */
function bareAnswer(answer: string): string {
  const inner = stripMathDelimiters(answer);
  return lastBoxed(inner) ?? inner;
}

/** Compares two bare answers (no extraction). Never throws. */
export function compareAnswers(gold: string, response: string, options: CheckOptions = {}): CheckResult {
  const extracted = response;
  try {
    const goldBare = bareAnswer(gold);
    const responseBare = bareAnswer(response);
    if (Math.max(goldBare.length, responseBare.length) > MAX_ANSWER_CHARS) {
      const equal = goldBare.replace(/\s+/g, "") === responseBare.replace(/\s+/g, "");
      const reason = `an answer longer than ${MAX_ANSWER_CHARS} characters is compared as text: ${
        equal ? "identical" : "different"
      }`;
      return { correct: equal, extracted, reason, path: "string" };
    }
    const goldText = normalizeAnswer(goldBare, options).text;
    const responseText = normalizeAnswer(responseBare, options).text;
    if (goldText === "") {
      return { correct: false, extracted, reason: "the gold answer is empty", path: "none" };
    }
    if (responseText === "") {
      return { correct: false, extracted, reason: "the response answer is empty", path: "none" };
    }
    if (goldText.replace(/\s+/g, "") === responseText.replace(/\s+/g, "")) {
      return { correct: true, extracted, reason: "identical after normalisation", path: "string" };
    }
    const problem = options.problem ?? "";
    const context = {
      ...checkBudget(options.timeBudgetMs ?? DEFAULT_TIME_BUDGET_MS),
      orderedLists: ORDERED_HINT.test(problem),
      tuples: TUPLE_HINT.test(problem) && !/\binterval/i.test(problem),
    };
    const verdict = answersEqual(readAnswer(goldText), readAnswer(responseText), context);
    return { correct: verdict.equal, extracted, reason: verdict.reason, path: verdict.path };
  } catch (error) {
    if (error instanceof TimeGuardError) {
      return { correct: false, extracted, reason: `error: time guard: ${error.message}`, path: "error" };
    }
    return { correct: false, extracted, reason: `checker error: ${(error as Error).message}`, path: "none" };
  }
}

/** Checks a full model response against a gold answer. Never throws. */
export function checkAnswer(response: string, gold: string, options: CheckOptions = {}): CheckResult {
  if (typeof response !== "string" || typeof gold !== "string") {
    return { correct: false, extracted: null, reason: "response and gold must be strings", path: "none" };
  }
  const extraction = extractWithSource(response, { priority: options.extractors });
  if (extraction === null) {
    return { correct: false, extracted: null, reason: "no answer found in the response", path: "none" };
  }
  const result = compareAnswers(gold, extraction.answer, options);
  return { ...result, reason: `${extraction.source}: ${result.reason}` };
}
