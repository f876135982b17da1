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
  assert.ok(markdown.includes("| base model | 50.0 | 0.0 | -50.0 | 0.0 | 50.0 |"), markdown);
  assert.ok(markdown.includes("| SCoRe | 50.0 | 100.0 | 50.0 | 50.0 | 0.0 |"), markdown);
  const json = JSON.parse(await Deno.readTextFile(join(reportDir, "report.json")));
  assert.equal(json.results.length, 2);
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
