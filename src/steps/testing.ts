/**
 * Helpers for step-kind tests: an in-memory step context and records artifacts written to a temp dir.
 *
 * @module
 */
import { join } from "node:path";
import type { StepRegistry } from "../workflow/spec.ts";
import type { ArtifactRef, ItemLoop, StepContext, StepKind } from "../workflow/step.ts";
import { stepKinds } from "./mod.ts";
import { testWork } from "./test_work.ts";

/**
 * The production step kinds plus the engine-test kind `test.work`: the registry of tests, benchmarks and the
 * test entry point `tests/fixtures/pipeline.ts`.
 *
 * @example
 * ```ts
 * import { testStepKinds } from "./testing.ts";
 * testStepKinds.has("test.work"); // true
 * ```
 */
export const testStepKinds: StepRegistry = new Map<string, StepKind>([
  ...stepKinds,
  [testWork.name, testWork as StepKind],
]);

/**
 * A minimal in-memory context: `forEachItem` runs the batches in order and appends the results to
 * `written`; the other durable operations are not available.
 */
export function memoryContext<P>(params: P, written: unknown[]): StepContext<P> {
  const unused = () => Promise.reject(new Error("not available in memoryContext"));
  return {
    runId: "run",
    stepId: "step",
    params,
    workDir: "/tmp",
    signal: new AbortController().signal,
    log() {},
    progress() {},
    metric() {},
    records: unused,
    dir: unused,
    async forEachItem<I, R>(loop: ItemLoop<I, R>) {
      const size = loop.batchSize ?? 16;
      for (let start = 0; start < loop.items.length; start += size) {
        written.push(...await loop.process(loop.items.slice(start, start + size), start));
      }
    },
    saveCheckpoint: unused,
    latestCheckpoint: () => Promise.resolve(undefined),
  };
}

/** Writes records to a temporary JSONL file and returns a reference to it, as an earlier step would. */
export async function recordsArtifact(records: unknown[], step = "input"): Promise<ArtifactRef> {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "records.jsonl");
  await Deno.writeTextFile(path, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
  return {
    artifact: true,
    step,
    output: "records",
    path,
    kind: "records",
    sha256: "x",
    count: records.length,
  };
}
