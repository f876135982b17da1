/**
 * The answer checker's entry point: extract the response's final answer, normalise both answers, read
 * their structure and compare them within a time budget. {@link checkAnswer} never throws.
 *
 * @module
 */
import { answersEqual } from "./equivalence.ts";
import type { VerdictPath } from "./expression.ts";
import { type ExtractorName, extractWithSource, lastBoxed, stripMathDelimiters } from "./extract.ts";
import { normalizeAnswer } from "./normalize.ts";
import { readAnswer } from "./structures.ts";

/** Options for {@link checkAnswer} and {@link compareAnswers}. */
export interface CheckOptions {
  /** The problem text: it settles units and whether answer lists are ordered. */
  problem?: string;
  /** Time budget of one check in milliseconds (default {@link DEFAULT_TIME_BUDGET_MS}). */
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
  /** Which comparison decided ("none" when nothing was compared). */
  path: VerdictPath | "none";
}

/** Default time budget of one check, in milliseconds. */
export const DEFAULT_TIME_BUDGET_MS = 200;

const ORDERED_HINT =
  /\bordered\b|\bin (?:increasing |decreasing |ascending |descending )?order\b|\bin the form\s*\$?\\?\(/i;

/** An answer without math delimiters or a `\boxed{}` wrapper. */
function bareAnswer(answer: string): string {
  const inner = stripMathDelimiters(answer);
  return lastBoxed(inner) ?? inner;
}

/** Compares two bare answers (no extraction). Never throws. */
export function compareAnswers(gold: string, response: string, options: CheckOptions = {}): CheckResult {
  const extracted = response;
  try {
    const goldText = normalizeAnswer(bareAnswer(gold), options).text;
    const responseText = normalizeAnswer(bareAnswer(response), options).text;
    if (goldText === "") {
      return { correct: false, extracted, reason: "the gold answer is empty", path: "none" };
    }
    if (responseText === "") {
      return { correct: false, extracted, reason: "the response answer is empty", path: "none" };
    }
    if (goldText.replace(/\s+/g, "") === responseText.replace(/\s+/g, "")) {
      return { correct: true, extracted, reason: "identical after normalisation", path: "string" };
    }
    const deadline = performance.now() + (options.timeBudgetMs ?? DEFAULT_TIME_BUDGET_MS);
    const orderedLists = ORDERED_HINT.test(options.problem ?? "");
    const verdict = answersEqual(readAnswer(goldText), readAnswer(responseText), { deadline, orderedLists });
    return { correct: verdict.equal, extracted, reason: verdict.reason, path: verdict.path };
  } catch (error) {
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
