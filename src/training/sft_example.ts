/**
 * The record format of SFT data: the toy corpora in datasets/, and the STaR and Pair-SFT baselines' data.
 *
 * A `solution` teaches the first attempt: the model learns `completion` after the problem's prompt. A `trace`
 * teaches the second attempt: the model learns `completion` after [problem, attempt1, instruction], where the
 * instruction is the workflow's self-correction setting, inserted when the context is assembled, unless the trace
 * names its own `instruction` (toy-sign's hinted fixes teach the repair skill under an instruction that says
 * the attempt is wrong, so the workflow's instruction keeps the base model's habit of copying).
 *
 * @module
 */
import { z } from "zod";

/** One SFT example. */
export const SftExample = z.object({
  id: z.string(),
  kind: z.enum(["solution", "trace"]),
  /** The problem statement (toy-math) or the code prompt (toy-code). */
  problem: z.string(),
  /** The first attempt shown in the context; required for traces. */
  attempt1: z.string().optional(),
  /** The text the model learns to produce. */
  completion: z.string(),
  /** A trace's own instruction between the attempts, in place of the workflow's. */
  instruction: z.string().min(1).optional(),
}).refine((example) => example.kind === "solution" || example.attempt1 !== undefined, {
  message: "a trace needs attempt1 (the first attempt shown before the instruction)",
});
/** One SFT example. */
export type SftExample = z.infer<typeof SftExample>;
