/**
 * Test helpers for the engine and the status server: a new run of a parsed workflow in a runs directory,
 * ready for `executeRun`.
 *
 * @module
 */
import { createRun, type ExecuteOptions } from "./engine.ts";
import { applyOverrides, type Workflow } from "./spec.ts";
import { RunStore } from "./store.ts";

/** Options for {@link createTestRun}. */
export interface TestRunOptions {
  /** `--set name=value` overrides of the workflow's parameters (default none). */
  sets?: string[];
  /** The run id (default `r`). */
  runId?: string;
  /** The item-commit interval (default the engine's). */
  commitIntervalMs?: number;
}

/**
 * Opens the store `<runsDir>/pipeline.db` and creates run `runId` of `workflow` in `<runsDir>/<runId>`; the
 * caller runs it with `executeRun` and closes `store`.
 *
 * ```ts
 * const run = await createTestRun(await Deno.makeTempDir(), workflow, { sets: ["seeds=2"] });
 * await executeRun(run); // "done"
 * run.store.close();
 * ```
 */
export async function createTestRun(
  runsDir: string,
  workflow: Workflow,
  { sets = [], runId = "r", commitIntervalMs }: TestRunOptions = {},
): Promise<ExecuteOptions> {
  const params = applyOverrides(workflow, sets);
  const options: ExecuteOptions = {
    store: new RunStore(`${runsDir}/pipeline.db`),
    workflow,
    params,
    runId,
    runDir: `${runsDir}/${runId}`,
    commitIntervalMs,
  };
  await createRun(options);
  return options;
}
