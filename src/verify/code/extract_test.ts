import assert from "node:assert/strict";
import { extractSolution, fencedBlocks } from "./extract.ts";
import type { CodeProblem } from "./types.ts";

const PYTHON: CodeProblem = {
  taskId: "t/0",
  language: "python",
  prompt: 'from typing import List\n\n\ndef add(a: int, b: int) -> int:\n    """Sum."""\n',
  test: "def check(candidate):\n    assert candidate(1, 2) == 3\n",
  entryPoint: "add",
  testFunction: "check",
  stopTokens: [],
};
const TYPESCRIPT: CodeProblem = {
  ...PYTHON,
  language: "typescript",
  prompt: "function add(a: number, b: number): number {\n",
  stopTokens: ["\nfunction "],
};

Deno.test("extract: a bare completion is appended to the prompt", () => {
  const extracted = extractSolution(PYTHON, "    return a + b\n");
  assert.equal(extracted.kind, "completion");
  assert.equal(extracted.solution, PYTHON.prompt + "    return a + b\n");
});

Deno.test("extract: a fenced full function follows the prompt, whose last function gets a pass body", () => {
  const response = "Here you go:\n```python\ndef add(a, b):\n    return a + b\n```\nDone.";
  const extracted = extractSolution(PYTHON, response);
  assert.equal(extracted.kind, "full_program");
  assert.equal(extracted.code, "def add(a, b):\n    return a + b\n");
  assert.equal(
    extracted.solution,
    PYTHON.prompt.trimEnd() + "\n    pass\n\ndef add(a, b):\n    return a + b\n",
  );
});

Deno.test("extract: the fenced block defining the entry point wins; an unclosed fence runs to the end", () => {
  const response =
    "```\npip install nothing\n```\n\n```python\nimport math\ndef add(a, b):\n    return a + b";
  assert.deepEqual(fencedBlocks(response), [
    "pip install nothing\n",
    "import math\ndef add(a, b):\n    return a + b",
  ]);
  assert.equal(extractSolution(PYTHON, response).code, "import math\ndef add(a, b):\n    return a + b");
});

Deno.test("extract: a fenced body without a definition is a completion", () => {
  const extracted = extractSolution(PYTHON, "```python\n    return a + b\n```");
  assert.equal(extracted.kind, "completion");
  assert.equal(extracted.solution, PYTHON.prompt + "    return a + b\n");
});

Deno.test("extract: a TypeScript full function replaces the prompt; completions stop at stop tokens", () => {
  const full = extractSolution(
    TYPESCRIPT,
    "```ts\nexport function add(a: number, b: number) {\n  return a + b;\n}\n```",
  );
  assert.equal(full.kind, "full_program");
  assert.equal(full.solution, "export function add(a: number, b: number) {\n  return a + b;\n}\n");
  const completion = extractSolution(TYPESCRIPT, "  return a + b;\n}\nfunction extra() {}\n");
  assert.equal(completion.solution, TYPESCRIPT.prompt + "  return a + b;\n}");
});

Deno.test("extract: a name that merely starts like the entry point is not its definition", () => {
  assert.equal(extractSolution(PYTHON, "def add_all(xs):\n    return sum(xs)\n").kind, "completion");
});
