import assert from "node:assert/strict";
import { applyStopTokens, buildRequest, parseProblem, ProblemFormatError } from "./formats.ts";

Deno.test("parseProblem reads MultiPL-E records and finds the entry point in the tests", () => {
  const problem = parseProblem({
    name: "HumanEval_0_add",
    language: "ts",
    prompt: "function add(a: number, b: number): number {\n",
    tests: "declare var require: any;\nfunction test() {\n  let candidate = add;\n}\ntest();\n",
    stop_tokens: ["\nfunction ", "\n/*"],
  }, "python");
  assert.equal(problem.language, "typescript");
  assert.equal(problem.entryPoint, "add");
  assert.equal(problem.testFunction, "");
  const request = buildRequest(problem, "  return a + b;\n}\nfunction extra() {}\n");
  assert.equal(request.solution, "function add(a: number, b: number): number {\n  return a + b;\n}");
});

Deno.test("parseProblem reads HumanEval and native records and names a missing field", () => {
  const record = { task_id: "x", language: "typescript", prompt: "p", test: "t", entry_point: "f" };
  const native = parseProblem(record, "python");
  assert.equal(native.language, "typescript");
  assert.equal(native.testFunction, "check");
  assert.throws(() => parseProblem({ task_id: "x", prompt: "p", test: "t" }, "python"), (error: Error) => {
    return error instanceof ProblemFormatError && /entry_point/.test(error.message);
  });
});

Deno.test("applyStopTokens cuts at the earliest stop token", () => {
  assert.equal(applyStopTokens("a\n/*b\nfunction c", ["\nfunction ", "\n/*"]), "a");
  assert.equal(applyStopTokens("abc", []), "abc");
});
