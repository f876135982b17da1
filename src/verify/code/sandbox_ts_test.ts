/**
 * Honest TypeScript/JavaScript samples: what a correct or incorrect solution gets, and how the strict
 * `assert` compares values. Hostile samples are in adversarial_ts_test.ts.
 */
import { SandboxSession } from "./testing.ts";
import type { CodeProblem } from "./types.ts";

/** Native format: `check(candidate)` is called by the harness. */
const ADD: CodeProblem = {
  taskId: "honest/add_ts",
  language: "typescript",
  prompt: "function add(a: number, b: number): number {\n",
  test: "function check(candidate: (a: number, b: number) => number) {\n" +
    "  assert.deepEqual(candidate(2, 3), 5);\n  assert.deepEqual(candidate(-1, 1), 0);\n}\n",
  entryPoint: "add",
  testFunction: "check",
  stopTokens: [],
};
/** MultiPL-E style: the tests call themselves and get `assert` from `require`. */
const MULTIPLE: CodeProblem = {
  ...ADD,
  taskId: "honest/add_multiple",
  test: "declare var require: any;\nconst assert = require('node:assert');\nfunction test() {\n" +
    "  let candidate = add;\n  assert.deepEqual(candidate(2, 3), 5);\n}\ntest();\n",
  testFunction: "",
};

const session = new SandboxSession("js");
globalThis.addEventListener("unload", () => session.kill());

function honest(name: string, fn: () => Promise<void>) {
  Deno.test({ name: `ts sandbox: ${name}`, sanitizeResources: false, sanitizeOps: false, fn });
}

honest("a right solution passes, a wrong one fails with expected and actual", async () => {
  await session.expect(ADD, "  return a + b;\n}\n", ["passed"]);
  await session.expect(ADD, "  return a - b;\n}\n", ["failed"], /expected 5, got -1/);
  await session.expect(MULTIPLE, "  return a + b;\n}\n", ["passed"]);
  await session.expect(MULTIPLE, "  return a * b;\n}\n", ["failed"]);
});

honest("syntax errors and exceptions are told apart", async () => {
  await session.expect(ADD, "  return a +;\n}\n", ["syntax_error"]);
  await session.expect(ADD, "  throw new RangeError('no');\n}\n", ["error"], /RangeError: no/);
  await session.expect(ADD, "  return (a as any).x.y;\n}\n", ["error"], /TypeError/);
});

honest("the strict assert compares arrays, objects, Maps, Sets and Dates by content", async () => {
  const problem = (expected: string): CodeProblem => ({
    ...ADD,
    prompt: "function add(a: number, b: number): unknown {\n",
    test:
      `function check(candidate: (a: number, b: number) => unknown) {\n  assert.deepEqual(candidate(1, 2), ${expected});\n}\n`,
  });
  const cases: [string, string, string][] = [
    ["[1, [2, 3], { a: 'x' }]", "[a, [b, a + b], { a: 'x' }]", "[a, [b, a + b], { a: 'y' }]"],
    ["new Map([[1, 'a'], [2, 'b']])", "new Map([[a, 'a'], [b, 'b']])", "new Map([[b, 'b'], [a, 'a']])"],
    ["new Set([1, 2])", "new Set([a, b])", "new Set([a])"],
    ["new Date(3)", "new Date(a + b)", "new Date(a)"],
    ["NaN", "0 / 0", "0"],
    ["{ a: 1, b: [2] }", "{ b: [b], a }", "{ a, b: [b], c: 1 }"],
  ];
  for (const [expected, right, wrong] of cases) {
    await session.expect(problem(expected), `  return ${right};\n}\n`, ["passed"]);
    await session.expect(problem(expected), `  return ${wrong};\n}\n`, ["failed"]);
  }
});

honest("a sample may keep its own globals and state", async () => {
  const globals = "  (globalThis as any).cache ??= new Map();\n  (globalThis as any).cache.set(a, b);\n" +
    "  return a + b;\n}\n";
  await session.expect(ADD, globals, ["passed"]);
  await session.expect(ADD, "  return ((globalThis as any).cache?.size ?? 0) + a + b;\n}\n", ["passed"]);
  const timers = "  return a + b;\n}\nawait new Promise((resolve) => setTimeout(resolve, 5));\n";
  await session.expect(ADD, timers, ["passed"]);
});

honest("JavaScript samples run as well", async () => {
  const js: CodeProblem = {
    ...ADD,
    language: "javascript",
    prompt: "function add(a, b) {\n",
    test: "function check(candidate) {\n  assert.equal(candidate(2, 3), 5);\n}\n",
  };
  await session.expect(js, "  return a + b;\n}\n", ["passed"]);
  await session.expect(js, "  return a - b;\n}\n", ["failed"]);
});
