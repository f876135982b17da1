/**
 * The registry of step kinds: every kind a workflow may name in `uses:`.
 *
 * @module
 */
import type { StepKind } from "../workflow/step.ts";
import { datasetLoad } from "./dataset_load.ts";
import { testWork } from "./test_work.ts";

/** Every registered step kind, by name. */
export const stepKinds: ReadonlyMap<string, StepKind> = new Map<string, StepKind>(
  ([
    datasetLoad,
    testWork,
  ] as StepKind[]).map((kind) => [kind.name, kind]),
);
