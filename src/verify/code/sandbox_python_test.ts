/**
 * Honest Python samples: what a correct or incorrect solution gets, and which Python behaviour holds in
 * the sandbox (values crossing from the solution to the tests, exceptions, files, imports). Hostile
 * samples are in adversarial_python_test.ts.
 */
import { pythonAddProblem, SandboxSession } from "./testing.ts";
import type { CodeProblem } from "./types.ts";

/** `add(a, b)`: the honest answer is `a + b`. */
const ADD = pythonAddProblem("honest/add");

/** Indents each line as a function body. */
const body = (...lines: string[]) => lines.map((line) => `    ${line}\n`).join("");

const session = new SandboxSession("python");

function honest(name: string, fn: () => Promise<void>) {
  Deno.test({ name: `python sandbox: ${name}`, sanitizeResources: false, sanitizeOps: false, fn });
}

honest("a right solution passes, a wrong one fails with the failing test line", async () => {
  await session.expect(ADD, body("return a + b"), ["passed"]);
  await session.expect(ADD, body("return a - b"), ["failed"], /test line 2: assert candidate\(2, 3\) == 5/);
});

honest("syntax errors, exceptions and a missing entry point are told apart", async () => {
  await session.expect(ADD, body("return a +"), ["syntax_error"], /SyntaxError/);
  await session.expect(ADD, body("raise ValueError('no')"), ["error"], /ValueError: no \(test line 2/);
  await session.expect(
    { ...ADD, prompt: "" },
    "def plus(a, b):\n    return a + b\n",
    ["error"],
    /does not define add/,
  );
  await session.expect(ADD, body("return a + b") + "assert False, 'top level'\n", ["failed"], /top level/);
});

honest("every kind of built-in value reaches the tests as what it was", async () => {
  const kinds: CodeProblem = {
    ...ADD,
    prompt: "def add(a, b):\n",
    test: [
      "def check(candidate):",
      "    value = candidate(1, 2)",
      "    assert type(value) is tuple and type(value[0]) is dict and type(value[1]) is frozenset",
      "    assert value[:6] == ({(1, 'a'): [1.5, None], 'b': {3}}, frozenset({b'x'}), 2 ** 200, 1 + 2j, True, -0.0)",
      "    assert value[4] is True and str(value[5]) == '-0.0'",
      "    assert candidate(float('inf'), 0)[6] == float('inf') and candidate(0, 0)[7] == 'h\\u00e9\\ud800'",
      "",
    ].join("\n"),
  };
  const value =
    "({(1, 'a'): [1.5, None], 'b': {3}}, frozenset({b'x'}), 2 ** 200, 1 + 2j, True, -0.0, a, 'h\\u00e9\\ud800')";
  await session.expect(kinds, body(`return ${value}`), ["passed"]);
});

honest("arguments, keyword arguments and the solution's own state work as in Python", async () => {
  const problem: CodeProblem = {
    ...ADD,
    prompt: "",
    test: "def check(candidate):\n    assert candidate(2, b=3) == 5\n    assert candidate(a=1, b=1) == 2\n" +
      "    assert candidate(0, 0) == 0\n",
  };
  await session.expect(problem, "calls = []\ndef add(a, b):\n    calls.append(a)\n    return a + b\n", [
    "passed",
  ]);
  const memo = "seen = {}\ndef add(a, b):\n    seen[(a, b)] = True\n    return len(seen) * 0 + a + b\n";
  await session.expect(problem, memo, ["passed"]);
});

honest("an exception raised by the solution keeps its built-in type for the tests", async () => {
  const problem: CodeProblem = {
    ...ADD,
    test:
      "def check(candidate):\n    try:\n        candidate(1, 0)\n    except ZeroDivisionError as error:\n" +
      "        assert 'division' in str(error)\n    else:\n        assert False\n",
  };
  await session.expect(problem, body("return a / b"), ["passed"]);
  await session.expect(problem, body("raise ValueError('x')"), ["error"], /ValueError/);
});

honest("files in the working directory work within a sample and are gone after it", async () => {
  const write = body(
    "import os",
    "with open('notes.txt', 'w') as out:",
    "    out.write(str(a + b))",
    "os.makedirs('/tmp/sub/dir', exist_ok=True)",
    "return int(open(os.path.join(os.getcwd(), 'notes.txt')).read())",
  );
  await session.expect(ADD, write, ["passed"]);
  await session.expect(ADD, body("return int(open('notes.txt').read())"), ["error"], /FileNotFoundError/);
});

honest("printing, sleeping, the standard library and input() behave", async () => {
  await session.expect(
    ADD,
    body("print('thinking', a, b)", "import sys; print('err', file=sys.stderr)", "return a + b"),
    [
      "passed",
    ],
  );
  await session.expect(ADD, body("import time", "time.sleep(0.01)", "return a + b"), ["passed"]);
  await session.expect(ADD, body("import textwrap, calendar, fractions", "return a + b"), ["passed"]);
  await session.expect(ADD, body("return int(input())"), ["error"], /OSError|EOFError/);
});

honest("a tests-side helper from the prompt is available to the tests", async () => {
  const problem: CodeProblem = {
    ...ADD,
    prompt: "def helper(x):\n    return x * 10\n\ndef add(a, b):\n",
    test: "def check(candidate):\n    assert candidate(2, 3) == helper(2) // 4\n",
  };
  await session.expect(problem, body("return helper(a) // 4"), ["passed"]);
});

globalThis.addEventListener("unload", () => session.kill());
