import assert from "node:assert/strict";
import { join } from "node:path";
import { stepKinds } from "./mod.ts";
import { createRun, executeRun } from "../workflow/engine.ts";
import { parseWorkflow } from "../workflow/spec.ts";
import { RunStore } from "../workflow/store.ts";

function rollout(id: string, first: boolean, second: boolean) {
  return {
    id,
    problem: `Compute ${id}.`,
    attempt1: { text: "a", correct: first },
    attempt2: { text: "b", correct: second },
  };
}

async function writeJsonl(path: string, records: unknown[]): Promise<void> {
  await Deno.writeTextFile(path, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
}

interface Outcome {
  status: string;
  error: string | null;
  /** The report step's `report` directory (when it finished). */
  reportDir?: string;
}

async function runReport(dir: string, baseRecords: unknown[]): Promise<Outcome> {
  await writeJsonl(join(dir, "base.jsonl"), baseRecords);
  await writeJsonl(join(dir, "score.jsonl"), [rollout("1", true, true), rollout("2", false, true)]);
  await writeJsonl(join(dir, "metrics.jsonl"), [
    { stage: "stage1", name: "reward_attempt2", step: 1, value: 0.25 },
    { stage: "stage1", name: "reward_attempt2", step: 2, value: 0.5 },
  ]);
  const yaml = `name: r
steps:
  - { id: base, uses: dataset.load, with: { path: "${dir}/base.jsonl" } }
  - { id: score, uses: dataset.load, with: { path: "${dir}/score.jsonl" } }
  - { id: metrics, uses: dataset.load, with: { path: "${dir}/metrics.jsonl" } }
  - id: report
    uses: report
    needs: [base, score, metrics]
    with:
      task: toy-math
      results:
        - { method: base model, evaluation: "\${{ steps.base.outputs.records }}" }
        - { method: SCoRe, evaluation: "\${{ steps.score.outputs.records }}" }
      curves: ["\${{ steps.metrics.outputs.records }}"]
      settings: { alpha: 10 }
`;
  const workflow = parseWorkflow(yaml, "r.yaml", stepKinds);
  const store = new RunStore(join(dir, "pipeline.db"));
  const options = { store, workflow, params: {}, runId: "run", runDir: join(dir, "run") };
  await createRun(options);
  const status = await executeRun(options);
  const step = store.getStep("run", "report")!;
  store.close();
  const reportDir = step.outputs ? (JSON.parse(step.outputs).report.path as string) : undefined;
  return { status, error: step.error, reportDir };
}

Deno.test("report writes the comparison table, the JSON and the charts", async () => {
  const dir = await Deno.makeTempDir();
  const { status, error, reportDir } = await runReport(dir, [
    rollout("1", true, false),
    rollout("2", false, false),
  ]);
  assert.equal(status, "done", error ?? "");
  assert.ok(reportDir);
  const markdown = await Deno.readTextFile(join(reportDir, "report.md"));
  assert.match(markdown, /\| base model \| 50\.0 \[.*\] \| 0\.0 \[0\.0, 0\.0\] \| -50\.0 \[.*\] \| 0\.0 \[/);
  assert.match(markdown, /\| SCoRe \| 50\.0 \[.*\] \| 100\.0 \[100\.0, 100\.0\] \| 50\.0 \[/);
  const json = JSON.parse(await Deno.readTextFile(join(reportDir, "report.json")));
  assert.equal(json.results.length, 2);
  assert.deepEqual(json.results[0].seeds, [""]);
  assert.equal(json.curves.length, 2);
  const rewards = await Deno.readTextFile(join(reportDir, "rewards.svg"));
  assert.ok(rewards.includes("stage1 reward_attempt2"));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("report names the artifact and record of a malformed evaluation record", async () => {
  const dir = await Deno.makeTempDir();
  const { status, error } = await runReport(dir, [rollout("1", true, false), { id: "2", problem: "p" }]);
  assert.equal(status, "failed");
  assert.match(error ?? "", /record 2 of base\.records is not a judged two-attempt rollout: attempt1/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("report aggregates the instances of matrix steps: means over seeds and paired comparisons", async () => {
  const dir = await Deno.makeTempDir();
  // SCoRe fixes problem 1 in every seed; the base model breaks problem 0 in seed 1 only
  for (const seed of [0, 1, 2]) {
    await writeJsonl(join(dir, `base-${seed}.jsonl`), [
      rollout("0", true, seed !== 1),
      rollout("1", false, false),
      rollout("2", seed === 2, seed === 2),
    ]);
    await writeJsonl(join(dir, `score-${seed}.jsonl`), [
      rollout("0", true, true),
      rollout("1", false, true),
      rollout("2", seed === 2, seed === 2),
    ]);
    await writeJsonl(join(dir, `metrics-${seed}.jsonl`), [
      { stage: "stage1", name: "kl", step: 1, value: 0.1 * seed },
      { stage: "stage1", name: "kl", step: 2, value: 0.2 },
    ]);
  }
  const yaml = `name: r
params:
  seeds: { type: integer, default: 3 }
matrix:
  seed: { from: 0, count: "\${{ params.seeds }}" }
steps:
  - { id: base, uses: dataset.load, matrix: [seed], with: { path: "${dir}/base-\${{ matrix.seed }}.jsonl" } }
  - { id: score, uses: dataset.load, matrix: [seed], with: { path: "${dir}/score-\${{ matrix.seed }}.jsonl" } }
  - { id: metrics, uses: dataset.load, matrix: [seed], with: { path: "${dir}/metrics-\${{ matrix.seed }}.jsonl" } }
  - id: report
    uses: report
    needs: [base, score, metrics]
    with:
      task: toy-math
      compare: SCoRe
      bootstrap: { resamples: 500, seed: 1 }
      results:
        - { method: base model, evaluation: "\${{ steps.base.outputs.records }}" }
        - { method: SCoRe, evaluation: "\${{ steps.score.outputs.records }}" }
      curves: ["\${{ steps.metrics.outputs.records }}"]
`;
  const workflow = parseWorkflow(yaml, "r.yaml", stepKinds);
  const store = new RunStore(join(dir, "pipeline.db"));
  const options = { store, workflow, params: { seeds: 3 }, runId: "run", runDir: join(dir, "run") };
  await createRun(options);
  assert.equal(await executeRun(options), "done", store.getStep("run", "report")?.error ?? "");
  const reportDir = JSON.parse(store.getStep("run", "report")!.outputs!).report.path as string;
  store.close();
  const markdown = await Deno.readTextFile(join(reportDir, "report.md"));
  assert.ok(markdown.includes("3 held-out problems; 3 seeds (seed=0, seed=1, seed=2)."), markdown);
  assert.ok(markdown.includes("| base model | 0.0 | -33.3 | 0.0 |"), "per-seed Δ of the base model");
  assert.ok(markdown.includes("| SCoRe | 33.3 | 33.3 | 33.3 |"), "per-seed Δ of SCoRe");
  assert.match(markdown, /\| SCoRe − base model \| 44\.4 \| \[\S+, \S+\] \| above 0 \| 9 \|/);
  assert.ok(markdown.includes("Curves of several seeds are averaged per update."));
  const json = JSON.parse(await Deno.readTextFile(join(reportDir, "report.json")));
  assert.deepEqual(json.results[1].seeds, ["seed=0", "seed=1", "seed=2"]);
  assert.ok(Math.abs(json.results[0].metrics.delta.estimate - -1 / 9) < 1e-12);
  assert.equal(json.bootstrap.resamples, 500);
  assert.deepEqual(json.curves.map((c: { seed: string }) => c.seed), [
    "seed=0",
    "seed=0",
    "seed=1",
    "seed=1",
    "seed=2",
    "seed=2",
  ]);
  const kl = await Deno.readTextFile(join(reportDir, "kl.svg"));
  assert.ok(kl.includes("stage1 kl (mean of 3 seeds)"));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("report: compare must name a method of results (checked before running)", () => {
  const yaml = `name: r
steps:
  - { id: a, uses: dataset.load, with: { path: x.jsonl } }
  - id: report
    uses: report
    needs: [a]
    with:
      task: t
      compare: SCoRE
      results: [{ method: SCoRe, evaluation: "\${{ steps.a.outputs.records }}" }]
`;
  assert.throws(
    () => parseWorkflow(yaml, "r.yaml", stepKinds),
    /r\.yaml:9:7: step 'report' \(report\): 'compare': 'SCoRE' is not a method of 'results' \(methods: SCoRe\)/,
  );
});
