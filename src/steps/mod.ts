/**
 * The registry of step kinds: every kind a workflow may name in `uses:`.
 *
 * @module
 */
import type { StepKind } from "../workflow/step.ts";
import { correct } from "./correct.ts";
import { datasetLoad } from "./dataset_load.ts";
import { generate } from "./generate.ts";
import { report } from "./report.ts";
import { testWork } from "./test_work.ts";
import { verifyMath } from "./verify_math.ts";

/** Every registered step kind, by name. */
export const stepKinds: ReadonlyMap<string, StepKind> = new Map<string, StepKind>(
  ([
    correct,
    datasetLoad,
    generate,
    report,
    testWork,
    verifyMath,
  ] as StepKind[]).map((kind) => [kind.name, kind]),
);
