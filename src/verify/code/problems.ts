/**
 * Loads problem files (HumanEval, MultiPL-E or native format) into problems keyed by task id.
 *
 * @module
 */
import { InputFileError, readJsonlLines } from "../../data/jsonl.ts";
import { parseProblem, ProblemFormatError } from "./formats.ts";
import type { CodeLanguage, CodeProblem } from "./types.ts";

/** Reads a problems file (JSONL or JSONL.gz in any supported format) into problems keyed by task id. */
export async function loadProblems(path: string, language: CodeLanguage): Promise<Map<string, CodeProblem>> {
  const problems = new Map<string, CodeProblem>();
  for (const { line, value } of await readJsonlLines(path)) {
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
