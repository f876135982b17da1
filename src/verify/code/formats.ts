/**
 * Reads problems in the three supported formats into {@link CodeProblem}, and turns a problem plus a
 * completion into a sandbox request.
 *
 * - HumanEval (Python): `task_id, prompt, canonical_solution, test, entry_point`.
 * - MultiPL-E (TS/JS): `name, prompt, tests, stop_tokens`; the entry point is read from the tests'
 *   `let candidate = NAME;` line.
 * - Native (TS/JS): `task_id, prompt, test, entry_point` (optional `canonical_solution`, `language`); `test`
 *   defines `check(candidate)`, which the harness calls, as in HumanEval.
 *
 * @module
 */
import type { SandboxRequest } from "../../../sandbox/protocol.ts";
import type { CodeLanguage, CodeProblem } from "./types.ts";

/** Raised for a record that is not a valid problem; the message says which field is wrong. */
export class ProblemFormatError extends Error {
  override name = "ProblemFormatError";
}

function text(record: Record<string, unknown>, field: string): string {
  const value = record[field];
  if (typeof value !== "string") throw new ProblemFormatError(`field "${field}" must be a string`);
  return value;
}

function optionalText(record: Record<string, unknown>, field: string): string | undefined {
  return record[field] === undefined ? undefined : text(record, field);
}

function multiplELanguage(record: Record<string, unknown>, fallback: CodeLanguage): CodeLanguage {
  const name = String(record.language ?? record.name ?? "");
  if (/(^|_)(ts|typescript)$|^HumanEval_.*_ts$/.test(name) || record.language === "ts") return "typescript";
  if (record.language === "js" || record.language === "javascript") return "javascript";
  return fallback;
}

/** Reads one problem record; `language` picks the runner when the record does not say. */
export function parseProblem(value: unknown, language: CodeLanguage): CodeProblem {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ProblemFormatError("a problem must be a JSON object");
  }
  const record = value as Record<string, unknown>;
  if ("name" in record && "tests" in record) return parseMultiplE(record, language);
  const recordLanguage = (optionalText(record, "language") ?? language) as CodeLanguage;
  if (!["python", "typescript", "javascript"].includes(recordLanguage)) {
    throw new ProblemFormatError(`field "language" must be python, typescript or javascript`);
  }
  return {
    taskId: text(record, "task_id"),
    language: recordLanguage,
    prompt: text(record, "prompt"),
    test: text(record, "test"),
    entryPoint: text(record, "entry_point"),
    testFunction: "check",
    stopTokens: [],
    canonicalSolution: optionalText(record, "canonical_solution"),
  };
}

function parseMultiplE(record: Record<string, unknown>, language: CodeLanguage): CodeProblem {
  const tests = text(record, "tests");
  const entry = /let\s+candidate\s*=\s*([A-Za-z_$][\w$]*)/.exec(tests);
  if (!entry) throw new ProblemFormatError(`field "tests" has no "let candidate = NAME;" line`);
  const stops = record.stop_tokens ?? [];
  if (!Array.isArray(stops) || !stops.every((stop) => typeof stop === "string")) {
    throw new ProblemFormatError(`field "stop_tokens" must be an array of strings`);
  }
  const detected = multiplELanguage(record, language === "python" ? "typescript" : language);
  return {
    taskId: text(record, "name"),
    language: detected,
    prompt: text(record, "prompt"),
    test: tests,
    entryPoint: entry[1],
    testFunction: "",
    stopTokens: stops,
    canonicalSolution: optionalText(record, "canonical_solution"),
  };
}

/** Cuts a completion at the first stop token, as MultiPL-E's evaluation does. */
export function applyStopTokens(completion: string, stopTokens: readonly string[]): string {
  let end = completion.length;
  for (const stop of stopTokens) {
    const at = completion.indexOf(stop);
    if (at >= 0 && at < end) end = at;
  }
  return completion.slice(0, end);
}

/** The sandbox request (without id and timeout) for `completion` of `problem`. */
export function buildRequest(
  problem: CodeProblem,
  completion: string,
): Omit<SandboxRequest, "id" | "timeoutMs"> {
  return requestForSolution(problem, problem.prompt + applyStopTokens(completion, problem.stopTokens));
}

/** The sandbox request (without id and timeout) for a complete `solution` source of `problem`. */
export function requestForSolution(
  problem: CodeProblem,
  solution: string,
): Omit<SandboxRequest, "id" | "timeoutMs"> {
  return {
    solution,
    test: problem.test,
    testPrelude: problem.language === "python" ? problem.prompt : "",
    entryPoint: problem.entryPoint,
    testFunction: problem.testFunction,
    dialect: problem.language,
  };
}
