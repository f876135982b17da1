import assert from "node:assert/strict";
import { checkAnswer } from "../../src/verify/math/check.ts";
import { checkSign, parseSignExpression, parseSignPuzzle } from "../../src/verify/sign/check.ts";
import {
  DEFAULT_SIGN_KNOBS,
  generateToyCode,
  generateToyDatasets,
  generateToyMath,
  generateToySign,
} from "./generate.ts";
import { chainText, checkText, fixText, flipLast, HINT_INSTRUCTION, type SignRecord } from "./sign_task.ts";
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
  assert.ok(longest(sign, "toy-sign/sft.jsonl") <= 96);
});

const sign = generateToySign();

Deno.test("toy-sign: worked solutions are right by the sign checker and their chains are truthful", () => {
  for (const split of ["train", "dev", "test"]) {
    for (const record of records<SignRecord>(sign, `toy-sign/${split}.jsonl`)) {
      const puzzle = parseSignPuzzle(record.problem);
      assert.deepEqual(puzzle, { target: record.target, operands: record.operands }, record.id);
      const verdict = checkSign(record.solution, puzzle);
      assert.ok(verdict.correct, `${record.id}: ${verdict.reason}`);
      assert.ok(record.target >= 0, record.id);
      const chainEnd = /=(-?\d+)\. \\boxed/.exec(record.solution);
      assert.equal(Number(chainEnd?.[1]), record.target, record.id);
    }
  }
});

Deno.test("toy-sign splits (test, dev, train, sft) share no problem", () => {
  const problems = (path: string) => new Set(records<{ problem: string }>(sign, path).map((r) => r.problem));
  const splits = ["test", "dev", "train", "sft"].map((name) => problems(`toy-sign/${name}.jsonl`));
  for (let i = 0; i < splits.length; i++) {
    for (let j = i + 1; j < splits.length; j++) {
      for (const problem of splits[i]) assert.ok(!splits[j].has(problem), problem);
    }
  }
});

Deno.test("toy-sign traces: honest wrong first attempts, copies, rare checkable fixes, hinted fixes", () => {
  const traces = records<SftRecord>(sign, "toy-sign/sft.jsonl").filter((r) => r.kind === "trace");
  const signsOf = (text: string) => parseSignExpression(/\\boxed\{([^}]*)\}/.exec(text)![1])!.signs;
  const chainEnd = (text: string) => Number(/=(-?\d+)\. \\boxed/.exec(text)?.[1]);
  let wrong = 0, fixed = 0, hinted = 0;
  for (const trace of traces) {
    const puzzle = parseSignPuzzle(trace.problem);
    const first = checkSign(trace.attempt1!, puzzle);
    assert.equal(chainEnd(trace.attempt1!), first.value, `${trace.id}: a first attempt's chain is truthful`);
    if (trace.instruction !== undefined) {
      assert.equal(trace.instruction, HINT_INSTRUCTION);
      assert.ok(!first.correct, trace.id);
      assert.equal(trace.completion, fixText(puzzle, signsOf(trace.attempt1!)), trace.id);
      assert.ok(checkSign(trace.completion, puzzle).correct, trace.id);
      hinted++;
      continue;
    }
    if (!first.correct) wrong++;
    if (trace.completion === trace.attempt1) continue;
    // the only other second attempt: the search fix of a wrong first attempt
    assert.ok(!first.correct, trace.id);
    assert.equal(trace.completion, fixText(puzzle, signsOf(trace.attempt1!)), trace.id);
    assert.ok(checkSign(trace.completion, puzzle).correct, trace.id);
    fixed++;
  }
  const { wrongFirstShare, fixShare, hintedFixes } = DEFAULT_SIGN_KNOBS.traces;
  const plain = traces.length - hinted;
  assert.equal(hinted, hintedFixes);
  assert.ok(Math.abs(wrong / plain - wrongFirstShare) < 0.05, `wrong ${wrong} of ${plain}`);
  // a fix needs an attempt its tries can fix, which not every puzzle has: at most fixShare of the wrong ones
  assert.ok(fixed <= wrong * fixShare * 1.2 && fixed >= wrong * fixShare * 0.3, `fixed ${fixed} of ${wrong}`);
});

Deno.test("toy-sign: some first-attempt examples are wrong but truthful (the share of the knobs)", () => {
  const solutions = records<SftRecord>(sign, "toy-sign/sft.jsonl").filter((r) => r.kind === "solution");
  let wrong = 0;
  for (const example of solutions) {
    const verdict = checkSign(example.completion, parseSignPuzzle(example.problem));
    assert.equal(Number(/=(-?\d+)\. \\boxed/.exec(example.completion)?.[1]), verdict.value, example.id);
    if (!verdict.correct) wrong++;
  }
  const share = DEFAULT_SIGN_KNOBS.traces.wrongSolutionShare;
  assert.ok(Math.abs(wrong / solutions.length - share) < 0.03, `wrong ${wrong} of ${solutions.length}`);
});

Deno.test("toy-sign: fixText searches single flips from the last sign and stops at the target, or gives null", () => {
  const puzzle = { target: 3, operands: [3, 5, 2, 7] };
  assert.equal(fixText(puzzle, [1, 1, 1, 1]), "3+5=8, 8+2=10, 10-7=3. \\boxed{3+5+2-7}");
  assert.equal(
    fixText(puzzle, [1, 1, -1, -1]),
    "3+5=8, 8-2=6, 6+7=13; 3+5=8, 8+2=10, 10-7=3. \\boxed{3+5+2-7}",
  );
  assert.equal(fixText(puzzle, [1, 1, 1, -1]), null, "a right attempt needs no fix");
  // 1-2+3-4 = -2; its single flips give 6, -8 and 2, none of them 4
  assert.equal(fixText({ target: 4, operands: [1, 2, 3, 4] }, [1, -1, 1, -1]), null);
});

Deno.test("toy-sign knobs: second attempts may open with a check, and wrong ones may flip the last sign", () => {
  const knobs = {
    ...DEFAULT_SIGN_KNOBS,
    traces: { ...DEFAULT_SIGN_KNOBS.traces, checkFirst: true, flipShare: 0.5, fixShare: 0 },
  };
  const files = generateToySign(undefined, undefined, knobs);
  const traces = records<SftRecord>(files, "toy-sign/sft.jsonl").filter((r) => r.kind === "trace");
  let flips = 0, wrong = 0;
  for (const trace of traces) {
    const puzzle = parseSignPuzzle(trace.problem);
    const first = checkSign(trace.attempt1!, puzzle);
    const check = checkText(puzzle, parseSignExpression(first.extracted!)!.signs);
    assert.equal(check, `${first.value} vs ${puzzle.target}: ${first.correct ? "yes" : "no"}.`);
    assert.ok(trace.completion.startsWith(`${check} `), trace.id);
    const second = trace.completion.slice(check.length + 1);
    if (first.correct) assert.equal(second, trace.attempt1, trace.id);
    else {
      wrong++;
      const flipped = chainText(puzzle.operands, flipLast(parseSignExpression(first.extracted!)!.signs));
      assert.ok(second === trace.attempt1 || second === flipped, trace.id);
      if (second === flipped) flips++;
    }
  }
  assert.ok(Math.abs(flips / wrong - 0.5) < 0.05, `${flips} flips of ${wrong}`);
  assert.equal(flipLast([1, 1, -1]).join(), "1,1,1");
});
