/**
 * Field mappings of MATH checks over records: where a check reads its inputs and writes its verdict. Kept apart
 * from the checker so that schemas can name the defaults without loading the compute engine.
 *
 * @module
 */

/** Where one check reads its inputs and writes its verdict. */
export interface FieldMapping {
  /** Field holding the gold answer. */
  answer: string;
  /** Field holding the full model response (a string, or an array of strings for several samples). */
  response: string;
  /** Field holding the problem text, used for units and list order (optional). */
  problem?: string;
  /** Field that receives `correct` (a boolean, or an array for an array of responses). */
  correct: string;
  /** Field that receives the extracted answer. */
  extracted: string;
  /** Field that receives the reason. */
  reason: string;
}

/** The CLI's mapping: `answer`, `response`, `problem` in; `correct`, `extracted`, `reason` out. */
export const DEFAULT_MAPPING: FieldMapping = {
  answer: "answer",
  response: "response",
  problem: "problem",
  correct: "correct",
  extracted: "extracted",
  reason: "reason",
};
