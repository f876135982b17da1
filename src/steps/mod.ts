/**
 * The registry of step kinds: every kind a workflow may name in `uses:`. (The engine-test kind `test.work`
 * is registered by tests only, through `testStepKinds` in `testing.ts`.)
 *
 * @module
 */
import type { StepKind } from "../workflow/step.ts";
import { baselineData } from "./baseline_data.ts";
import { correct } from "./correct.ts";
import { datasetLoad } from "./dataset_load.ts";
import { evalSelfcorrect } from "./eval_selfcorrect.ts";
import { generate } from "./generate.ts";
import { modelInit } from "./model_init.ts";
import { report } from "./report.ts";
import { scoreSingleTurn } from "./score_single_turn.ts";
import { scoreStage1 } from "./score_stage1.ts";
import { scoreStage2 } from "./score_stage2.ts";
import { sft } from "./sft.ts";
import { verifyCode } from "./verify_code.ts";
import { verifyMath } from "./verify_math.ts";

/** Every registered step kind, by name. */
export const stepKinds: ReadonlyMap<string, StepKind> = new Map<string, StepKind>(
  ([
    baselineData,
    correct,
    datasetLoad,
    evalSelfcorrect,
    generate,
    modelInit,
    report,
    scoreSingleTurn,
    scoreStage1,
    scoreStage2,
    sft,
    verifyCode,
    verifyMath,
  ] as StepKind[]).map((kind) => [kind.name, kind]),
);
