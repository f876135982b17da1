/**
 * The toy-sign task's oracle reward: a response is correct when its last boxed expression uses the puzzle's
 * operands in order and equals its target (src/verify/sign). The puzzle is read from the problem statement,
 * so the verifier needs no record fields.
 *
 * ```ts
 * const verifier = signVerifier();
 * const problem = { id: "p", statement: "Make 3 from 3 5 2 7.", record: {} };
 * await verifier.judge([{ problem, response: "\\boxed{3+5+2-7}" }]); // [{ correct: true, ... }]
 * ```
 *
 * @module
 */
import { checkSign, parseSignPuzzle } from "../verify/sign/check.ts";
import type { Verifier } from "./verifiers.ts";

/** The sign checker as a verifier. */
export function signVerifier(): Verifier {
  return {
    judge(items) {
      return Promise.resolve(items.map(({ problem, response }) => {
        const verdict = checkSign(response, parseSignPuzzle(problem.statement));
        return { correct: verdict.correct, extracted: verdict.extracted, reason: verdict.reason };
      }));
    },
  };
}
