/**
 * The code task's oracle reward: a response is correct when the solution read out of it passes all of
 * its problem's unit tests in the sandbox (src/verify/code).
 *
 * Each problem's `record` is a HumanEval record (`task_id, prompt, canonical_solution, test,
 * entry_point`; MultiPL-E and the native TS/JS format work too). The response may be a bare completion
 * of the prompt, a full function, or either inside markdown fences: src/verify/code/extract.ts documents
 * exactly how the code is read. One long-lived sandbox pool serves every `judge` call; `close()` stops it.
 *
 * @module
 */
import { extractSolution } from "../verify/code/extract.ts";
import { parseProblem, ProblemFormatError } from "../verify/code/formats.ts";
import { SandboxPool } from "../verify/code/pool.ts";
import {
  type CodeLanguage,
  type CodeProblem,
  DEFAULT_LIMITS,
  type SandboxLimits,
} from "../verify/code/types.ts";
import { verifySolutions } from "../verify/code/verifier.ts";
import type { Problem, Verifier } from "./verifiers.ts";

/** Options of {@link codeVerifier}. */
export interface CodeVerifierOptions {
  /** Language of records that do not name one (HumanEval records do not): default `python`. */
  language?: CodeLanguage;
  /** Sandbox processes per language (default: one per core). */
  concurrency?: number;
  /** Per-sample limits (default: 3 s, 2.5 GiB, 64 KiB of output). */
  limits?: SandboxLimits;
}

/** A {@link Verifier} backed by a sandbox pool that stays up until {@link CodeVerifier.close}. */
export interface CodeVerifier extends Verifier {
  /** Stops the sandbox processes; `judge` may not be called afterwards. */
  close(): Promise<void>;
}

function readProblem(problem: Problem, language: CodeLanguage): CodeProblem {
  try {
    return parseProblem(problem.record, language);
  } catch (error) {
    if (!(error instanceof ProblemFormatError)) throw error;
    throw new Error(
      `problem ${problem.id}: its record is not a code problem (${error.message}); code tasks need ` +
        "HumanEval records (task_id, prompt, test, entry_point) or MultiPL-E records (name, prompt, tests)",
    );
  }
}

/** The code verifier: all unit tests pass, judged in the sandbox. */
export function codeVerifier(options: CodeVerifierOptions = {}): CodeVerifier {
  const language = options.language ?? "python";
  const pool = new SandboxPool({
    concurrency: options.concurrency,
    limits: options.limits ?? DEFAULT_LIMITS,
  });
  return {
    async judge(items) {
      const extracted = items.map(({ problem, response }) => {
        const codeProblem = readProblem(problem, language);
        return { problem: codeProblem, ...extractSolution(codeProblem, response) };
      });
      const verdicts = await verifySolutions(pool, extracted);
      return verdicts.map((verdict, index) => ({
        correct: verdict.passed,
        extracted: extracted[index].code,
        reason: verdict.result,
      }));
    },
    close: () => pool.close(),
  };
}
