/**
 * Test helpers for the status server: a runs directory holding one finished run of the chain fixture
 * (tests/fixtures/chain.yaml, step kind `test.work`) or of the self-correction fixture
 * (tests/fixtures/selfcorrect.yaml), executed by the real engine.
 *
 * @module
 */
import { testStepKinds } from "../steps/testing.ts";
import { executeRun } from "../workflow/engine.ts";
import { loadWorkflow } from "../workflow/spec.ts";
import type { RunStore } from "../workflow/store.ts";
import { createTestRun } from "../workflow/testing.ts";
import { selfCorrectionMetrics, type VerdictPair } from "../training/metrics.ts";
import { TRAINING_METRICS } from "../training/report.ts";
import type { StepSummary } from "./schemas.ts";
import { matrixValues } from "./summaries.ts";
import { declaredStepId } from "../workflow/matrix.ts";

/** The chain fixture's path. */
export { CHAIN as CHAIN_FIXTURE } from "../../tests/fixtures/chain.ts";
import { CHAIN as CHAIN_FIXTURE } from "../../tests/fixtures/chain.ts";

/** A temporary runs directory with one finished chain run; `cleanup` removes it. */
export interface ChainRuns {
  runsDir: string;
  runId: string;
  /** A writable store on the same database (to add events or metrics during a test). */
  store: RunStore;
  cleanup(): Promise<void>;
}

/** Runs the chain fixture to completion in a fresh temporary runs directory. */
export function finishedChainRun(sets: string[] = ["items=40"]): Promise<ChainRuns> {
  return finishedRun(CHAIN_FIXTURE, "chain-test-1", sets);
}

/** Runs a fixture workflow to completion in a fresh temporary runs directory. */
async function finishedRun(file: string, runId: string, sets: string[]): Promise<ChainRuns> {
  const runsDir = await Deno.makeTempDir({ prefix: "server_test_" });
  const options = await createTestRun(runsDir, await loadWorkflow(file, testStepKinds), { sets, runId });
  const { store } = options;
  const status = await executeRun(options);
  if (status !== "done") throw new Error(`the fixture ${file} ended ${status}; see ${runsDir}`);
  return {
    runsDir,
    runId,
    store,
    cleanup: async () => {
      store.close();
      await Deno.remove(runsDir, { recursive: true });
    },
  };
}

/** The self-correction fixture (score.yaml's shape with `test.work` steps, SCoRe over two seeds). */
export const SELFCORRECT_FIXTURE = new URL("../../tests/fixtures/selfcorrect.yaml", import.meta.url).pathname;

/**
 * The verdict counts each evaluation of the self-correction fixture records (of 200 problems): right at
 * attempt 1, fixed (wrong → right) and broken (right → wrong). The first five reproduce the README's table.
 */
export const FIXTURE_EVALUATIONS: {
  step: string;
  prefix: string;
  right: number;
  fixed: number;
  broken: number;
}[] = [
  { step: "eval_base", prefix: "eval/base", right: 84, fixed: 6, broken: 25 },
  { step: "eval_self_refine", prefix: "eval/self_refine", right: 84, fixed: 4, broken: 66 },
  { step: "eval_star", prefix: "eval/star", right: 55, fixed: 7, broken: 20 },
  { step: "eval_pair_sft", prefix: "eval/pair_sft", right: 47, fixed: 13, broken: 26 },
  { step: "eval_score[seed=0]", prefix: "eval/score", right: 78, fixed: 13, broken: 29 },
  { step: "eval_score[seed=1]", prefix: "eval/score", right: 80, fixed: 15, broken: 25 },
  { step: "base_rollouts", prefix: "rollouts/base", right: 60, fixed: 10, broken: 20 },
];

/** Verdict pairs of 200 problems with the given counts. */
function verdicts(right: number, fixed: number, broken: number): VerdictPair[] {
  return Array.from({ length: 200 }, (_, i) => {
    const first = i < right;
    const second = first ? i >= broken : i < right + fixed;
    return { problem: `p${i}`, first, second };
  });
}

/**
 * Runs the self-correction fixture and records what its real steps would: the evaluations' metrics (computed
 * by `selfCorrectionMetrics` from verdicts with {@link FIXTURE_EVALUATIONS}' counts) and 30 updates of
 * training curves on each SCoRe stage instance.
 */
export async function finishedSelfCorrectRun(): Promise<ChainRuns> {
  const runs = await finishedRun(SELFCORRECT_FIXTURE, "selfcorrect-1", []);
  const point = (step_id: string, name: string, step: number, value: number) => ({
    run_id: runs.runId,
    step_id,
    name,
    step,
    value,
  });
  for (const { step, prefix, right, fixed, broken } of FIXTURE_EVALUATIONS) {
    const metrics = selfCorrectionMetrics(verdicts(right, fixed, broken));
    runs.store.addMetrics(
      Object.entries(metrics).map(([key, value]) => point(step, `${prefix}/${key}`, 0, value)),
    );
  }
  for (const [stage, seed] of [["stage1", 0], ["stage1", 1], ["stage2", 0], ["stage2", 1]] as const) {
    const step = `${stage}[seed=${seed}]`;
    runs.store.addMetrics(
      Array.from({ length: 30 }, (_, u) => [
        point(step, `${stage}/${TRAINING_METRICS.rewardAttempt1}`, u, 0.3 + 0.004 * u + 0.02 * seed),
        point(step, `${stage}/${TRAINING_METRICS.rewardAttempt2}`, u, 0.25 + 0.006 * u + 0.02 * seed),
        point(step, `${stage}/${TRAINING_METRICS.kl}`, u, 0.001 * u * u),
        point(step, `${stage}/${TRAINING_METRICS.loss}`, u, 1.2 - 0.01 * u),
        point(step, `${stage}/${TRAINING_METRICS.tokensPerSecond}`, u, 1370 + 3 * u),
      ]).flat(),
    );
  }
  return runs;
}

/** A step as the API lists it: finished, with no items or metrics unless `overrides` say otherwise. */
export function stepFixture(id: string, overrides: Partial<StepSummary> = {}): StepSummary {
  return {
    id,
    group: declaredStepId(id),
    matrix: matrixValues(id),
    kind: "test.work",
    status: "done",
    needs: [],
    attempts: 1,
    started: 0,
    finished: 1,
    durationMs: 1,
    error: null,
    itemsDone: 0,
    itemsTotal: null,
    rate: null,
    etaSeconds: null,
    outputs: [],
    metrics: {},
    shards: [],
    ...overrides,
  };
}

/** Newest-metric points (at update 0) for `values` (name → value). */
export function newestPoints(values: Record<string, number>): StepSummary["metrics"] {
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [name, { step: 0, value }]));
}
