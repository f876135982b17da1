/**
 * The oracle rewards of training and evaluation: a binary verdict per response, from the math checker
 * (final answer equals the gold answer) or, for code tasks, the code sandbox (all unit tests pass).
 *
 * @module
 */
import { z } from "zod";
import { checkAnswer } from "../verify/math/check.ts";
import { codeVerifier } from "./code_verifier.ts";

/** A problem as the training steps see it: its id, the statement shown to the model, and the source record. */
export interface Problem {
  id: string;
  /** The problem statement (MATH) or the code prompt (HumanEval). */
  statement: string;
  /** The dataset record (gold answer, tests). */
  record: Record<string, unknown>;
}

/** The verdict on one response. */
export interface Verdict {
  correct: boolean;
  /** The answer the checker read, when it reads one. */
  extracted?: string | null;
  /** Why, in words. */
  reason?: string;
}

/** Checks responses to problems. */
export interface Verifier {
  /** Judges several responses, one per problem, in order. */
  judge(items: readonly { problem: Problem; response: string }[]): Promise<Verdict[]>;
  /** Releases what the verifier holds (the code sandbox's processes); absent when there is nothing. */
  close?(): Promise<void>;
}

/** Which fields of a dataset record hold what (workflow settings). */
export const ProblemFields = z.object({
  /** Field of the record's id (falls back to the record's index). */
  id: z.string().default("id"),
  /** Field of the statement shown to the model. */
  statement: z.string().default("problem"),
  /** Field of the gold answer (math tasks). */
  answer: z.string().default("answer"),
});
/** Which fields of a dataset record hold what. */
export type ProblemFields = z.infer<typeof ProblemFields>;

/** The task whose checker gives the reward. */
export const TaskName = z.enum(["math", "code"]);
/** The task whose checker gives the reward. */
export type TaskName = z.infer<typeof TaskName>;

/** Reads problems from dataset records, naming the record and field that is missing. */
export function readProblems(records: readonly Record<string, unknown>[], fields: ProblemFields): Problem[] {
  return records.map((record, i) => {
    const statement = record[fields.statement];
    if (typeof statement !== "string") {
      throw new Error(`record ${i + 1}: field "${fields.statement}" is not a string; set fields.statement`);
    }
    const id = record[fields.id];
    return { id: typeof id === "string" || typeof id === "number" ? String(id) : `#${i}`, statement, record };
  });
}

/** The math checker as a verifier: the response's final answer against the record's gold answer. */
export function mathVerifier(fields: ProblemFields, timeBudgetMs = 200): Verifier {
  return {
    judge(items) {
      return Promise.resolve(items.map(({ problem, response }) => {
        const gold = problem.record[fields.answer];
        if (typeof gold !== "string" && typeof gold !== "number") {
          throw new Error(
            `problem ${problem.id}: field "${fields.answer}" holds no gold answer; set fields.answer`,
          );
        }
        const result = checkAnswer(response, String(gold), { problem: problem.statement, timeBudgetMs });
        return { correct: result.correct, extracted: result.extracted, reason: result.reason };
      }));
    },
  };
}

/** The verifier of a task. */
export function verifierFor(task: TaskName, fields: ProblemFields): Verifier {
  return task === "math" ? mathVerifier(fields) : codeVerifier();
}
