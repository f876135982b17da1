import assert from "node:assert/strict";
import { testStepKinds } from "../steps/testing.ts";
import { WorkflowError } from "./errors.ts";
import { applyOverrides, checkStepParams, parseWorkflow } from "./spec.ts";

const GOOD = `name: demo
params:
  seed: { type: integer, default: 1 }
steps:
  - id: a
    uses: test.work
    with: { items: 3, seed: "\${{ params.seed }}" }
  - id: b
    uses: test.work
    needs: [a]
    with:
      items: 2
      input: "\${{ steps.a.outputs.results }}"
`;

/** Parses `source`, expecting a WorkflowError. */
function errorOf(source: string): WorkflowError {
  return thrown(() => parseWorkflow(source, "wf.yaml", testStepKinds));
}

/** Runs `fn`, which must throw a WorkflowError, and returns it. */
function thrown(fn: () => unknown): WorkflowError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof WorkflowError, `expected a WorkflowError, got ${error}`);
    return error;
  }
  throw new assert.AssertionError({ message: "expected a WorkflowError, nothing was thrown" });
}

function expectError(source: string, line: number, col: number, pattern: RegExp) {
  const error = errorOf(source);
  assert.deepEqual([error.position.line, error.position.col], [line, col], error.message);
  assert.match(error.message, pattern);
  assert.match(error.message, /^wf\.yaml:\d+:\d+: .* \(hint: .+\)$/);
}

Deno.test("a good workflow parses, with retry and timeout defaults", () => {
  const workflow = parseWorkflow(GOOD, "wf.yaml", testStepKinds);
  assert.deepEqual(workflow.steps.map((s) => s.id), ["a", "b"]);
  assert.deepEqual(workflow.steps[0].retry, { attempts: 1, backoffMs: 1000 });
  assert.deepEqual(workflow.concurrency, 2);
});

Deno.test("bad workflow: YAML syntax error points at the bracket", () => {
  expectError("name: x\nsteps:\n  - id: a\n    with: {items: [1, 2}\n", 4, 24, /YAML syntax error/);
});

Deno.test("bad workflow: unknown step kind", () => {
  expectError(
    GOOD.replace("uses: test.work\n    with: { items: 3", "uses: test.wrk\n    with: { items: 3"),
    6,
    5,
    /unknown step kind 'test\.wrk'.*hint: use one of: .*test\.work/,
  );
});

Deno.test("bad workflow: duplicate step id", () => {
  expectError(GOOD.replace("id: b", "id: a"), 8, 5, /duplicate step id 'a'/);
});

Deno.test("bad workflow: needs an unknown step", () => {
  expectError(GOOD.replace("needs: [a]", "needs: [zz]"), 10, 13, /needs unknown step 'zz'/);
});

Deno.test("bad workflow: dependency cycle", () => {
  const source = GOOD.replace(
    "    uses: test.work\n    with: { items: 3",
    "    uses: test.work\n    needs: [b]\n    with: { items: 3",
  );
  expectError(source, 7, 5, /dependency cycle: a -> b -> a/);
});

Deno.test("bad workflow: unknown parameter reference", () => {
  expectError(GOOD.replace("params.seed", "params.sede"), 7, 23, /unknown parameter 'sede'/);
});

Deno.test("bad workflow: reference to an unknown step", () => {
  expectError(GOOD.replace("steps.a.outputs", "steps.q.outputs"), 13, 7, /unknown step 'q'/);
});

Deno.test("bad workflow: reference to an unknown output", () => {
  expectError(
    GOOD.replace("outputs.results", "outputs.result"),
    13,
    7,
    /has no output 'result'.*its outputs: results/,
  );
});

Deno.test("bad workflow: output used without needs", () => {
  expectError(GOOD.replace("    needs: [a]\n", ""), 12, 7, /without needing it.*add 'a' to its 'needs:'/);
});

Deno.test("bad workflow: with: fails the kind's schema", () => {
  expectError(GOOD.replace("items: 2", "items: -2"), 12, 7, /step 'b' \(test\.work\): 'items'/);
});

Deno.test("bad workflow: unknown key in with:", () => {
  expectError(GOOD.replace("items: 2", "items: 2\n      itms: 2"), 13, 7, /unrecognized key.*itms/i);
});

Deno.test("bad workflow: parameter default of the wrong type", () => {
  expectError(GOOD.replace("default: 1", 'default: "one"'), 3, 26, /default "one" is not an integer/);
});

Deno.test("bad workflow: unknown top-level key", () => {
  expectError("nme: x\n" + GOOD, 1, 1, /unknown key 'nme'/);
});

Deno.test("bad workflow: missing steps", () => {
  expectError("name: x\n", 1, 1, /'steps'/);
});

Deno.test("bad workflow: bad step id", () => {
  expectError(GOOD.replace("id: a\n", "id: 9a\n"), 5, 5, /step id is letters/);
});

Deno.test("bad workflow: bad timeout format", () => {
  expectError(
    GOOD.replace("    uses: test.work\n    needs", "    uses: test.work\n    timeout: soon\n    needs"),
    10,
    5,
    /'steps\.1\.timeout'/,
  );
});

Deno.test("bad workflow: malformed reference", () => {
  expectError(GOOD.replace("params.seed", "param.seed"), 7, 23, /cannot read reference/);
});

Deno.test("--set: bad type and unknown parameter are one-line errors at the declaration", () => {
  const workflow = parseWorkflow(GOOD, "wf.yaml", testStepKinds);
  const badType = thrown(() => applyOverrides(workflow, ["seed=abc"]));
  assert.match(badType.message, /^wf\.yaml:3:3: --set seed=abc: 'seed' must be an integer/);
  const unknown = thrown(() => applyOverrides(workflow, ["sed=1"]));
  assert.match(unknown.message, /unknown parameter 'sed'.*declared parameters: seed/);
  assert.deepEqual(applyOverrides(workflow, ["seed=5"]), { seed: 5 });
});

Deno.test("--set values are re-checked against the step schemas", () => {
  const source = GOOD.replace("items: 3", 'items: "${{ params.seed }}"');
  const workflow = parseWorkflow(source, "wf.yaml", testStepKinds);
  const error = thrown(() => checkStepParams(workflow, applyOverrides(workflow, ["seed=-4"])));
  assert.match(error.message, /step 'a' \(test\.work\): 'items'/);
});

Deno.test("executor: the workflow's applies to every step unless the step sets its own", () => {
  const source = GOOD.replace("params:", "executor: { type: slurm, shards: 8, partition: cpu }\nparams:")
    .replace("    needs: [a]\n", "    needs: [a]\n    executor: local\n");
  const workflow = parseWorkflow(source, "wf.yaml", testStepKinds);
  assert.deepEqual(workflow.steps[0].executor, {
    type: "slurm",
    shards: 8,
    partition: "cpu",
    sbatch_flags: [],
    poll_interval: "2s",
  });
  assert.deepEqual(workflow.steps[1].executor, { type: "local" });
  assert.deepEqual(parseWorkflow(GOOD, "wf.yaml", testStepKinds).steps[0].executor, { type: "local" });
});

Deno.test("executor: a step of a kind that is not shardable cannot ask for slurm; unknown keys are refused", () => {
  const source = `name: demo
steps:
  - id: init
    uses: model.init
    executor: { type: slurm }
    with: { config: x.json }
`;
  expectError(source, 5, 5, /'init' \(model\.init\) cannot run on Slurm.*shardable kinds: .*verify\.code/);
  expectError(
    GOOD.replace("params:", "executor: { type: slurm, nodes: 2 }\nparams:"),
    2,
    26,
    /unknown key 'nodes' in 'executor'/,
  );
});
