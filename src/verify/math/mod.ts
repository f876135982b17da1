/**
 * MATH answer checking: extraction, normalisation, exact and symbolic equivalence, and data loading.
 *
 * ```ts
 * import { checkAnswer } from "./src/verify/math/mod.ts";
 * checkAnswer("so the answer is $\\boxed{0.5}$", "\\frac12"); // { correct: true, extracted: "0.5", ... }
 * ```
 *
 * @module
 */
export {
  checkAnswer,
  type CheckOptions,
  type CheckResult,
  compareAnswers,
  DEFAULT_TIME_BUDGET_MS,
} from "./check.ts";
export {
  DEFAULT_PRIORITY,
  extractAnswer,
  type ExtractOptions,
  type ExtractorName,
  lastBoxed,
} from "./extract.ts";
export { normalizeAnswer } from "./normalize.ts";
export { goldAnswer, loadMathDirectory, loadMathJsonl, type MathProblem, parseMathJsonl } from "./dataset.ts";
export { DEFAULT_MAPPING, type FieldMapping, verifyRecord } from "./records.ts";
