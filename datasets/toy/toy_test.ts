import assert from "node:assert/strict";
import { checkAnswer } from "../../src/verify/math/check.ts";
import { generateToyCode, generateToyDatasets, generateToyMath } from "./generate.ts";
import { type MathRecord, parseProblem, type SftRecord } from "./math_task.ts";
import { type CodeRecord, parseBody } from "./code_task.ts";

const math = generateToyMath();
const code = generateToyCode();

function records<T>(files: Record<string, string>, path: string): T[] {
  return files[path].trimEnd().split("\n").map((line) => JSON.parse(line) as T);
}

function evaluate(problem: string): number {
  const { first, ops, rest } = parseProblem(problem);
  return ops.reduce((value, op, i) => (op === "+" ? value + rest[i] : value - rest[i]), first);
}

/** Checks `assert candidate(x) == y` lines of a HumanEval test against a linear body. */
function passes(body: string, test: string): boolean {
  const coefficients = parseBody(body);
  assert.ok(coefficients, `unparsable body ${JSON.stringify(body)}`);
  return [...test.matchAll(/assert candidate\((-?\d+)\) == (-?\d+)/g)].every(([, x, y]) =>
    coefficients.slope * Number(x) + coefficients.intercept === Number(y)
  );
}

Deno.test("the committed toy datasets are exactly what the seed generates", async () => {
  for (const [path, content] of Object.entries(generateToyDatasets())) {
    const committed = await Deno.readTextFile(new URL(`../${path}`, import.meta.url));
    assert.equal(committed, content, `datasets/${path} is stale: run deno run -A datasets/toy/generate.ts`);
  }
});

Deno.test("toy-math answers are right and the math checker accepts every worked solution", () => {
  for (const split of ["train", "test"]) {
    for (const record of records<MathRecord>(math, `toy-math/${split}.jsonl`)) {
      assert.equal(String(evaluate(record.problem)), record.answer, record.id);
      const verdict = checkAnswer(record.solution, record.answer);
      assert.ok(verdict.correct, `${record.id}: ${verdict.reason}`);
    }
  }
});

Deno.test("toy-math splits share no problem", () => {
  const problems = (path: string) => new Set(records<{ problem: string }>(math, path).map((r) => r.problem));
  const test = problems("toy-math/test.jsonl");
  const train = problems("toy-math/train.jsonl");
  const sft = problems("toy-math/sft.jsonl");
  for (const problem of test) assert.ok(!train.has(problem) && !sft.has(problem), problem);
  for (const problem of train) assert.ok(!sft.has(problem), problem);
});

Deno.test("toy-math traces: wrong first attempts are judged wrong, second attempts copy or fix", () => {
  const sft = records<SftRecord>(math, "toy-math/sft.jsonl");
  const traces = sft.filter((r) => r.kind === "trace");
  let wrong = 0, fixed = 0;
  for (const trace of traces) {
    const answer = String(evaluate(trace.problem));
    const firstRight = checkAnswer(trace.attempt1!, answer).correct;
    if (!firstRight) wrong++;
    const secondRight = checkAnswer(trace.completion, answer).correct;
    assert.ok(trace.completion === trace.attempt1 || secondRight, trace.id);
    if (!firstRight && secondRight) fixed++;
  }
  // The default mix: about half the first attempts wrong, about half of those fixed.
  assert.ok(wrong > traces.length * 0.4 && wrong < traces.length * 0.6, `wrong ${wrong}`);
  assert.ok(fixed > wrong * 0.4 && fixed < wrong * 0.6, `fixed ${fixed} of ${wrong}`);
});

Deno.test("toy-code canonical solutions pass their tests, wrong first attempts fail", () => {
  const byPrompt = new Map<string, CodeRecord>();
  for (const split of ["train", "test"]) {
    for (const record of records<CodeRecord>(code, `toy-code/${split}.jsonl`)) {
      assert.ok(passes(record.canonical_solution, record.test), record.task_id);
      assert.equal(record.entry_point, "f");
      assert.ok(record.prompt.startsWith("def f(x):\n"));
      byPrompt.set(record.prompt, record);
    }
  }
  const sft = records<SftRecord>(code, "toy-code/sft.jsonl");
  const solutions = new Map(sft.filter((r) => r.kind === "solution").map((r) => [r.problem, r.completion]));
  for (const prompt of solutions.keys()) assert.ok(!byPrompt.has(prompt), "SFT problem also in train/test");
  for (const trace of sft.filter((r) => r.kind === "trace")) {
    const canonical = solutions.get(trace.problem)!;
    const shown = [...trace.problem.matchAll(/f\((\d+)\) == (-?\d+)/g)]
      .map(([, x, y]) => `assert candidate(${x}) == ${y}`).join("\n");
    assert.equal(passes(trace.attempt1!, shown), trace.attempt1 === canonical, trace.id);
  }
});

Deno.test("every attempt fits in 96 characters", () => {
  const longest = (files: Record<string, string>, path: string) =>
    Math.max(...records<SftRecord>(files, path).map((r) => Math.max(r.completion.length, r.problem.length)));
  assert.ok(longest(math, "toy-math/sft.jsonl") <= 96);
  assert.ok(longest(code, "toy-code/sft.jsonl") <= 96);
});
