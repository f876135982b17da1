/**
 * Test helpers for the status server: a runs directory holding one finished run of the chain fixture
 * (tests/fixtures/chain.yaml, step kind `test.work`), executed by the real engine.
 *
 * @module
 */
import { stepKinds } from "../steps/mod.ts";
import { createRun, executeRun } from "../workflow/engine.ts";
import { applyOverrides, loadWorkflow } from "../workflow/spec.ts";
import { RunStore } from "../workflow/store.ts";

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
export async function finishedChainRun(sets: string[] = ["items=40"]): Promise<ChainRuns> {
  const runsDir = await Deno.makeTempDir({ prefix: "server_test_" });
  const store = new RunStore(`${runsDir}/pipeline.db`);
  const workflow = await loadWorkflow(CHAIN_FIXTURE, stepKinds);
  const runId = "chain-test-1";
  const options = {
    store,
    workflow,
    params: applyOverrides(workflow, sets),
    runId,
    runDir: `${runsDir}/${runId}`,
  };
  await createRun(options);
  const status = await executeRun(options);
  if (status !== "done") throw new Error(`the chain fixture ended ${status}; see ${runsDir}`);
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
