/**
 * MBPP (Austin et al., 2021) in the HumanEval problem format that the code verifier reads, so MBPP problems
 * train and evaluate exactly like HumanEval ones:
 *
 * | HumanEval field      | from MBPP                                                                           |
 * | -------------------- | ----------------------------------------------------------------------------------- |
 * | `task_id`            | `MBPP/<task_id>`                                                                    |
 * | `prompt`             | the task text and its test asserts as `#` comments (MBPP's usual prompt: the tests name the function and its signature) |
 * | `entry_point`        | the first function defined by the reference code that the tests call                |
 * | `canonical_solution` | the reference `code` (a whole program; it follows the comment-only prompt)          |
 * | `test`               | `test_setup_code` (full) or `test_imports` (sanitized), then `def check(candidate):` holding the `test_list` asserts |
 *
 * The asserts call the function by its name, which the sandbox binds to the candidate in the test namespace.
 * `challenge_test_list` is left out, as in the standard MBPP evaluation. Line endings become `\n`.
 *
 * @example
 * ```ts
 * import { mbppToHumanEval } from "./mbpp.ts";
 * const problem = mbppToHumanEval({
 *   task_id: 2,
 *   text: "Write a function to add two numbers.",
 *   code: "def add(a, b):\r\n  return a + b",
 *   test_list: ["assert add(1, 2) == 3"],
 * });
 * problem.entry_point; // "add"
 * ```
 *
 * @module
 */

/** A HumanEval-format problem. */
export interface HumanEvalProblem {
  task_id: string;
  prompt: string;
  entry_point: string;
  canonical_solution: string;
  test: string;
}

/** An MBPP row that cannot be converted: the message names the task. */
export class MbppFormatError extends Error {
  override name = "MbppFormatError";
}

function lines(text: string): string {
  return text.replace(/\r\n?/g, "\n").trim();
}

function stringList(value: unknown, field: string, task: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    throw new MbppFormatError(`MBPP task ${task}: field "${field}" must be a list of strings`);
  }
  return value.map(lines);
}

function textField(row: Record<string, unknown>, field: string): string {
  const value = row[field];
  if (typeof value !== "string") {
    throw new MbppFormatError(`MBPP task ${row.task_id}: field "${field}" must be a string`);
  }
  return lines(value);
}

/** The function the tests call: the first top-level `def` of `code` whose name is called in `tests`. */
export function entryPointOf(code: string, tests: readonly string[]): string | undefined {
  const defined = [...code.matchAll(/^def\s+([A-Za-z_]\w*)\s*\(/gm)].map((match) => match[1]);
  const called = (name: string) => tests.some((test) => new RegExp(`\\b${name}\\s*\\(`).test(test));
  return defined.find(called) ?? defined[0];
}

/** Converts one MBPP row (the `full` config's `text`, or the `sanitized` config's `prompt`). */
export function mbppToHumanEval(row: Record<string, unknown>): HumanEvalProblem {
  const code = textField(row, "code");
  const text = textField(row, typeof row.text === "string" ? "text" : "prompt");
  const tests = stringList(row.test_list, "test_list", row.task_id);
  if (tests.length === 0) throw new MbppFormatError(`MBPP task ${row.task_id}: no tests in "test_list"`);
  const entryPoint = entryPointOf(code, tests);
  if (!entryPoint) throw new MbppFormatError(`MBPP task ${row.task_id}: the code defines no function`);
  const setup = [
    ...stringList(row.test_imports, "test_imports", row.task_id),
    typeof row.test_setup_code === "string" ? lines(row.test_setup_code) : "",
  ].filter((part) => part !== "");
  const comment = [...text.split("\n"), "Your code should pass these tests:", ...tests]
    .map((line) => `# ${line}`.trimEnd()).join("\n");
  const body = tests.flatMap((test) => test.split("\n")).map((line) => `    ${line}`).join("\n");
  return {
    task_id: `MBPP/${row.task_id}`,
    prompt: `${comment}\n`,
    entry_point: entryPoint,
    canonical_solution: `${code}\n`,
    test: `${setup.length ? `${setup.join("\n")}\n\n\n` : ""}def check(candidate):\n${body}\n`,
  };
}
