/**
 * The MATH task's oracle reward: a response is correct when its final answer equals the record's gold answer
 * (src/verify/math).
 *
 * @module
 */
import { checkAnswer } from "../verify/math/check.ts";
import type { ProblemFields, Verifier } from "./verifiers.ts";

/** The math checker as a verifier: the response's final answer against the record's gold answer. */
export function mathVerifier(fields: ProblemFields, timeBudgetMs?: number): Verifier {
  return {
    judge(items) {
      return Promise.resolve(items.map(({ problem, response }) => {
        const gold = problem.record[fields.answer];
        if (typeof gold !== "string" && typeof gold !== "number") {
          throw new Error(
            `problem ${problem.id}: field "${fields.answer}" holds no gold answer; set fields.answer`,
          );
        }
        const result = checkAnswer(response, String(gold), { problem: problem.statement, timeBudgetMs });
        return { correct: result.correct, extracted: result.extracted, reason: result.reason };
      }));
    },
  };
}
