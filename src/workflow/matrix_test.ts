import assert from "node:assert/strict";
import { testStepKinds } from "../steps/testing.ts";
import { withTempDir } from "../testing/temp_dir.ts";
import { type ExecuteOptions, executeRun, resetFrom } from "./engine.ts";
import { WorkflowError } from "./errors.ts";
import {
  declaredStepId,
  expandSteps,
  instanceId,
  instanceNeeds,
  instanceValues,
  resolveInstance,
  stepDirName,
} from "./matrix.ts";
import type { Reporter } from "./progress.ts";
import { applyOverrides, checkStepParams, parseWorkflow } from "./spec.ts";
import type { ArtifactRef } from "./step.ts";
import { createTestRun } from "./testing.ts";

const SEEDS = `name: m
concurrency: 1
params:
  seed: { type: integer, default: 0 }
  seeds: { type: integer, default: 1 }
matrix:
  seed: { from: "\${{ params.seed }}", count: "\${{ params.seeds }}" }
steps:
  - id: data
    uses: test.work
    with: { items: 3 }
  - id: train
    uses: test.work
    matrix: [seed]
    needs: [data]
    with: { items: 6, batch_size: 1, seed: "\${{ matrix.seed }}", input: "\${{ steps.data.outputs.results }}" }
  - id: evaluate
    uses: test.work
    matrix: [seed]
    needs: [train]
    with: { items: 2, input: "\${{ steps.train.outputs.results }}" }
  - id: summary
    uses: test.work
    needs: [evaluate, data]
    with: { items: 1, inputs: ["\${{ steps.data.outputs.results }}", "\${{ steps.evaluate.outputs.results }}"] }
`;

function parse(source = SEEDS) {
  return parseWorkflow(source, "m.yaml", testStepKinds);
}

/** A stand-in output of an instance, for resolving references without running. */
function fakeRef(id: string, output: string): ArtifactRef {
  return { artifact: true, step: id, output, path: `/x/${id}`, kind: "records", sha256: id, count: 1 };
}

Deno.test("instance ids are readable; their directory names are plain", () => {
  assert.equal(instanceId("base", { seed: 1 }), "base[seed=1]");
  assert.equal(instanceId("base", { seed: 1, lr: 0.5 }), "base[seed=1,lr=0.5]");
  assert.equal(instanceId("base", {}), "base");
  assert.equal(stepDirName("base[seed=1,lr=0.5]"), "base@seed=1,lr=0.5");
  assert.equal(stepDirName("base"), "base");
  assert.equal(declaredStepId("base[seed=1]"), "base");
});

Deno.test("expansion: one instance per seed, with needs per instance and fan-in needing all", () => {
  const workflow = parse();
  const steps = expandSteps(workflow, applyOverrides(workflow, ["seeds=3", "seed=4"]));
  assert.deepEqual(steps.map((s) => s.id), [
    "data",
    "train[seed=4]",
    "train[seed=5]",
    "train[seed=6]",
    "evaluate[seed=4]",
    "evaluate[seed=5]",
    "evaluate[seed=6]",
    "summary",
  ]);
  const byId = new Map(steps.map((s) => [s.id, s]));
  assert.deepEqual(byId.get("train[seed=5]")!.needs, ["data"]);
  assert.deepEqual(byId.get("evaluate[seed=5]")!.needs, ["train[seed=5]"]);
  assert.deepEqual(byId.get("summary")!.needs, [
    "evaluate[seed=4]",
    "evaluate[seed=5]",
    "evaluate[seed=6]",
    "data",
  ]);
  assert.deepEqual(byId.get("train[seed=6]")!.values, { seed: 6 });
  assert.equal(byId.get("train[seed=6]")!.declaredId, "train");
});

Deno.test("instanceNeeds recovers every instance's needs from the ids and the declared needs alone", () => {
  assert.deepEqual(instanceValues("p[seed=1,lr=0.5]"), { seed: "1", lr: "0.5" });
  assert.deepEqual(instanceValues("p"), {});
  const workflow = parse();
  const steps = expandSteps(workflow, applyOverrides(workflow, ["seeds=3"]));
  const declared = new Map(workflow.steps.map((s) => [s.id, s.needs]));
  assert.deepEqual(
    instanceNeeds(steps.map((s) => s.id), declared),
    new Map(steps.map((s) => [s.id, s.needs])),
  );
});

Deno.test("references: same axis gets the same instance, fan-in gets a list in axis order, spliced", () => {
  const workflow = parse();
  const params = applyOverrides(workflow, ["seeds=2"]);
  const steps = new Map(expandSteps(workflow, params).map((s) => [s.id, s]));
  const train = resolveInstance(steps.get("train[seed=1]")!, params, fakeRef) as Record<string, unknown>;
  assert.equal(train.seed, 1, "a whole ${{ matrix.seed }} stays a number");
  assert.equal((train.input as ArtifactRef).step, "data");
  assert.equal((train.input as ArtifactRef).matrix, undefined, "a step without matrix carries no values");
  const evaluate = resolveInstance(steps.get("evaluate[seed=1]")!, params, fakeRef) as { input: ArtifactRef };
  assert.equal(evaluate.input.step, "train[seed=1]");
  assert.deepEqual(evaluate.input.matrix, { seed: 1 });
  const summary = resolveInstance(steps.get("summary")!, params, fakeRef) as { inputs: ArtifactRef[] };
  assert.deepEqual(summary.inputs.map((r) => [r.step, r.matrix]), [
    ["data", undefined],
    ["evaluate[seed=0]", { seed: 0 }],
    ["evaluate[seed=1]", { seed: 1 }],
  ]);
});

Deno.test("references: a whole fan-in value is a list; ${{ matrix.X }} inside text is interpolated", () => {
  const source = `name: w
matrix:
  lr: [0.1, 0.01]
  flag: [true, false]
steps:
  - id: a
    uses: dataset.load
    matrix: [flag, lr]
    with: { path: "data/\${{ matrix.lr }}-\${{ matrix.flag }}.jsonl", shuffle: "\${{ matrix.flag }}" }
  - id: b
    uses: report
    needs: [a]
    with:
      task: t
      results: [{ method: m, evaluation: "\${{ steps.a.outputs.records }}" }]
`;
  const workflow = parse(source);
  const steps = expandSteps(workflow, {});
  assert.deepEqual(steps.map((s) => s.id), [
    "a[lr=0.1,flag=true]",
    "a[lr=0.1,flag=false]",
    "a[lr=0.01,flag=true]",
    "a[lr=0.01,flag=false]",
    "b",
  ], "axes in the workflow's order, whatever the step's order");
  const a = resolveInstance(steps[1], {}, fakeRef) as { path: string; shuffle: boolean };
  assert.deepEqual(a, { path: "data/0.1-false.jsonl", shuffle: false });
  const b = resolveInstance(steps[4], {}, fakeRef) as { results: { evaluation: ArtifactRef[] }[] };
  assert.deepEqual(b.results[0].evaluation.map((r) => r.matrix), [
    { lr: 0.1, flag: true },
    { lr: 0.1, flag: false },
    { lr: 0.01, flag: true },
    { lr: 0.01, flag: false },
  ]);
});

Deno.test("a matrix step with fewer axes than its producer gets a list over the missing ones", () => {
  const source = `name: w
matrix: { seed: [0, 1], lr: [a, b] }
steps:
  - { id: p, uses: test.work, matrix: [seed, lr], with: { items: 1 } }
  - id: c
    uses: test.work
    matrix: [seed]
    needs: [p]
    with: { items: 1, inputs: "\${{ steps.p.outputs.results }}" }
`;
  const workflow = parse(source);
  const steps = expandSteps(workflow, {});
  const c1 = steps.find((s) => s.id === "c[seed=1]")!;
  assert.deepEqual(c1.needs, ["p[seed=1,lr=a]", "p[seed=1,lr=b]"]);
  const resolved = resolveInstance(c1, {}, fakeRef) as { inputs: ArtifactRef[] };
  assert.deepEqual(resolved.inputs.map((r) => r.step), ["p[seed=1,lr=a]", "p[seed=1,lr=b]"]);
});

/** Parses `source`, expecting a WorkflowError at (line, col) matching `pattern`. */
function expectError(fn: () => unknown, line: number, col: number, pattern: RegExp) {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof WorkflowError, `expected a WorkflowError, got ${error}`);
    assert.deepEqual([error.position.line, error.position.col], [line, col], error.message);
    assert.match(error.message, pattern);
    assert.match(error.message, /^m\.yaml:\d+:\d+: .* \(hint: .+\)$/);
    return;
  }
  assert.fail("expected a WorkflowError, nothing was thrown");
}

const parsing = (source: string) => () => parse(source);

Deno.test("matrix errors: unknown axis in a step's matrix, and an axis listed twice", () => {
  expectError(
    parsing(SEEDS.replace("matrix: [seed]\n    needs: [data]", "matrix: [sed]\n    needs: [data]")),
    14,
    14,
    /step 'train' runs over unknown matrix axis 'sed'.*declared: seed/,
  );
  expectError(
    parsing(SEEDS.replace("matrix: [seed]\n    needs: [data]", "matrix: [seed, seed]\n    needs: [data]")),
    14,
    20,
    /lists axis 'seed' twice/,
  );
});

Deno.test("matrix errors: ${{ matrix.X }} in a step without that axis, or of an unknown axis", () => {
  expectError(
    parsing(SEEDS.replace("items: 1, inputs", 'items: 1, seed: "${{ matrix.seed }}", inputs')),
    25,
    23,
    /step 'summary' uses \$\{\{ matrix\.seed \}\} but does not run over axis 'seed'.*hint: add 'matrix: \[seed\]'/,
  );
  expectError(
    parsing(SEEDS.replace('seed: "${{ matrix.seed }}"', 'seed: "${{ matrix.sede }}"')),
    16,
    38,
    /unknown matrix axis 'sede'.*declared: seed/,
  );
});

Deno.test("matrix errors: bad axis declarations point at the axis", () => {
  const axis = (spec: string) => parsing(SEEDS.replace(/ {2}seed: \{ from.*\n/, `  seed: ${spec}\n`));
  expectError(axis("[]"), 7, 3, /matrix axis 'seed' has no values/);
  expectError(axis("3"), 7, 3, /must be a list of values or \{ from, count \}.*hint: write a list/);
  expectError(axis("{ from: 0 }"), 7, 3, /matrix axis 'seed' has no 'count'/);
  expectError(axis("{ from: 0, count: 2, step: 1 }"), 7, 30, /unknown key 'step' in matrix axis 'seed'/);
  expectError(axis("[1, 2, 1]"), 7, 16, /value 1 is listed twice/);
  expectError(axis('[1, "a b"]'), 7, 13, /value "a b" is not a number, a boolean or a plain word/);
  expectError(axis('{ from: "${{ params.x }}", count: 1 }'), 7, 11, /unknown parameter 'x'/);
  expectError(
    axis('{ from: "${{ steps.data.outputs.results }}", count: 1 }'),
    7,
    11,
    /only \$\{\{ params\.NAME \}\}/,
  );
  expectError(
    parsing(SEEDS.replace("  seed: { from", "  9seed: { from")),
    7,
    3,
    /axis name '9seed' is not valid/,
  );
});

Deno.test("matrix errors: a count below 1 (from --set) is an error at the axis' count", () => {
  const workflow = parse();
  expectError(
    () => checkStepParams(workflow, applyOverrides(workflow, ["seeds=0"])),
    7,
    39,
    /count 0 is not an integer of at least 1/,
  );
});

Deno.test("matrix errors: a fan-in reference inside a longer string", () => {
  expectError(
    parsing(
      SEEDS.replace(
        'inputs: ["${{ steps.data.outputs.results }}", "${{ steps.evaluate.outputs.results }}"]',
        'fail_items: [], inputs: [], work_ms: 0, input: "x${{ steps.evaluate.outputs.results }}"',
      ),
    ),
    25,
    63,
    /is a list \(one per seed of matrix step 'evaluate'\) and cannot be part of a longer string/,
  );
});

Deno.test("matrix errors: with: is checked per instance, naming the instance", () => {
  const source = SEEDS.replace("items: 6, batch_size: 1", 'items: "${{ matrix.seed }}", batch_size: 1')
    .replace(
      'from: "${{ params.seed }}"',
      "from: -1",
    );
  expectError(parsing(source), 16, 13, /step 'train\[seed=-1\]' \(test\.work\): 'items'/);
});

// ---- running matrix workflows

async function setup(sets: string[], runId: string, dir: string, source = SEEDS): Promise<ExecuteOptions> {
  const workflow = parse(source);
  checkStepParams(workflow, applyOverrides(workflow, sets));
  return await createTestRun(dir, workflow, { sets, runId, commitIntervalMs: 0 });
}

function statuses(options: ExecuteOptions): Record<string, string> {
  return Object.fromEntries(options.store.getSteps(options.runId).map((s) => [s.step_id, s.status]));
}

Deno.test("each instance is a step in the store with its own directory and log", () =>
  withTempDir(async (dir) => {
    const options = await setup(["seeds=2"], "r", dir);
    assert.equal(await executeRun(options), "done");
    assert.deepEqual(Object.keys(statuses(options)), [
      "data",
      ...["train[seed=0]", "train[seed=1]", "evaluate[seed=0]", "evaluate[seed=1]"],
      "summary",
    ]);
    const t0 = await Deno.readTextFile(`${dir}/r/steps/train@seed=0/out/results.jsonl`);
    const t1 = await Deno.readTextFile(`${dir}/r/steps/train@seed=1/out/results.jsonl`);
    assert.notEqual(t0, t1, "the seeds differ");
    const manifest = JSON.parse(await Deno.readTextFile(`${dir}/r/steps/train@seed=1/manifest.json`));
    assert.equal(manifest.step, "train[seed=1]");
    assert.ok((await Deno.stat(`${dir}/r/logs/train@seed=1.log`)).isFile);
    options.store.close();
  }));

Deno.test("caching is per instance: seeds=1 then seeds=3 reuses seed 0's instances", () =>
  withTempDir(async (dir) => {
    const one = await setup(["seeds=1"], "one", dir);
    assert.equal(await executeRun(one), "done");
    one.store.close();
    const three = await setup(["seeds=3"], "three", dir);
    assert.equal(await executeRun(three), "done");
    assert.deepEqual(statuses(three), {
      "data": "cached",
      ...{ "train[seed=0]": "cached", "train[seed=1]": "done", "train[seed=2]": "done" },
      ...{ "evaluate[seed=0]": "cached", "evaluate[seed=1]": "done", "evaluate[seed=2]": "done" },
      "summary": "done",
    });
    const path = (run: string, step: string) => `${dir}/${run}/steps/${step}/out/results.jsonl`;
    assert.equal(
      await Deno.readTextFile(path("three", "evaluate@seed=0")),
      await Deno.readTextFile(path("one", "evaluate@seed=0")),
    );
    assert.notEqual(
      await Deno.readTextFile(path("three", "summary")),
      await Deno.readTextFile(path("one", "summary")),
    );
    three.store.close();
    // seeds 1..2 of a run from seed 1 are the instances computed above
    const shifted = await setup(["seed=1", "seeds=2"], "shifted", dir);
    assert.equal(await executeRun(shifted), "done");
    assert.deepEqual(Object.values(statuses(shifted)), [
      "cached",
      "cached",
      "cached",
      "cached",
      "cached",
      "done",
    ]);
    shifted.store.close();
  }));

/** A reporter that aborts a run once `step` has committed `items` items. */
function abortAt(step: string, items: number, abort: AbortController): Reporter {
  return {
    started: () => {},
    finished: () => {},
    log: () => {},
    close: () => {},
    progress: (id: string, done: number) => {
      if (id === step && done >= items) abort.abort();
    },
  };
}

Deno.test("resume of a partly finished matrix run continues the unfinished instances only", () =>
  withTempDir(async (dir) => {
    const options = await setup(["seeds=3"], "r", dir);
    const abort = new AbortController();
    const interrupted = await executeRun({
      ...options,
      signal: abort.signal,
      reporter: abortAt("train[seed=1]", 2, abort),
    });
    assert.equal(interrupted, "interrupted");
    const before = statuses(options);
    assert.equal(before["train[seed=0]"], "done");
    assert.equal(before["train[seed=1]"], "interrupted");
    assert.equal(before["train[seed=2]"], "pending");
    const kept = options.store.getStep("r", "train[seed=0]")!;
    const partial = options.store.getStep("r", "train[seed=1]")!;
    assert.ok(
      partial.items_done >= 2 && partial.items_done < 6,
      `kept ${partial.items_done} committed items`,
    );

    assert.equal(await executeRun(options), "done");
    assert.equal(
      options.store.getStep("r", "train[seed=0]")!.finished,
      kept.finished,
      "a finished instance is kept",
    );
    assert.equal(options.store.getStep("r", "train[seed=0]")!.attempts, 1);
    assert.equal(options.store.getStep("r", "train[seed=1]")!.attempts, 2);
    assert.equal(options.store.ledgerCount("r", "train[seed=1]"), 6, "every item committed exactly once");

    const fresh = await setup(["seeds=3"], "fresh", dir);
    assert.equal(await executeRun({ ...fresh, force: true }), "done");
    for (const step of ["train@seed=1", "train@seed=2", "summary"]) {
      const path = (run: string) => `${dir}/${run}/steps/${step}/out/results.jsonl`;
      assert.equal(await Deno.readTextFile(path("r")), await Deno.readTextFile(path("fresh")), step);
    }
    fresh.store.close();
    options.store.close();
  }));

Deno.test("resume --from a matrix step re-runs all its instances and their dependents", () =>
  withTempDir(async (dir) => {
    const options = await setup(["seeds=2"], "r", dir);
    assert.equal(await executeRun(options), "done");
    assert.deepEqual((await resetFrom(options, "evaluate")).sort(), [
      "evaluate[seed=0]",
      "evaluate[seed=1]",
      "summary",
    ]);
    assert.equal(await executeRun(options), "done");
    assert.deepEqual((await resetFrom(options, "train[seed=1]")).sort(), [
      "evaluate[seed=1]",
      "summary",
      "train[seed=1]",
    ]);
    assert.equal(options.store.getStep("r", "train[seed=0]")!.status, "done");
    options.store.close();
  }));
