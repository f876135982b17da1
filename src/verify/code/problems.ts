/**
 * Loads problem files and the HumanEval dataset that ships with the team's shared data.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { InputFileError, readJsonl } from "./jsonl.ts";
import { parseProblem, ProblemFormatError } from "./formats.ts";
import type { CodeLanguage, CodeProblem } from "./types.ts";

/** Path of HumanEval.jsonl.gz, resolved as `../shared/datasets/...` relative to the repository root. */
export const HUMANEVAL_PATH = fileURLToPath(
  new URL("../../../../shared/datasets/humaneval/HumanEval.jsonl.gz", import.meta.url),
);

/** Reads a problems file (JSONL or JSONL.gz in any supported format) into problems keyed by task id. */
export async function loadProblems(path: string, language: CodeLanguage): Promise<Map<string, CodeProblem>> {
  const problems = new Map<string, CodeProblem>();
  for (const { line, value } of await readJsonl(path)) {
    let problem: CodeProblem;
    try {
      problem = parseProblem(value, language);
    } catch (error) {
      if (error instanceof ProblemFormatError) {
        throw new InputFileError(path, line, `bad problem: ${error.message}`);
      }
      throw error;
    }
    if (problems.has(problem.taskId)) {
      throw new InputFileError(path, line, `duplicate task id ${problem.taskId}`);
    }
    problems.set(problem.taskId, problem);
  }
  return problems;
}

/** The 164 HumanEval problems. */
export function loadHumanEval(): Promise<Map<string, CodeProblem>> {
  return loadProblems(HUMANEVAL_PATH, "python");
}
