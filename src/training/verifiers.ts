/**
 * The oracle rewards of training and evaluation: a binary verdict per response, from the math checker
 * (final answer equals the gold answer), the toy-sign checker (the boxed sign expression reaches the target)
 * or, for code tasks, the code sandbox (all unit tests pass).
 *
 * @module
 */
import { z } from "zod";

/** A problem as the training steps see it: its id, the statement shown to the model, and the source record. */
export interface Problem {
  id: string;
  /** The problem statement (MATH) or the code prompt (HumanEval). */
  statement: string;
  /** The dataset record (gold answer, tests). */
  record: Record<string, unknown>;
}

/** A verifier's judgement of one response: its reward (correct or not) and what the checker read. */
export interface Judgement {
  correct: boolean;
  /** The answer the checker read, when it reads one. */
  extracted?: string | null;
  /** Why, in words. */
  reason?: string;
}

/** Checks responses to problems. */
export interface Verifier {
  /** Judges several responses, one per problem, in order. */
  judge(items: readonly { problem: Problem; response: string }[]): Promise<Judgement[]>;
  /** Releases what the verifier holds (the code sandbox's processes); absent when there is nothing. */
  close?(): Promise<void>;
}

/** Which fields of a dataset record hold what (workflow settings). */
export const ProblemFields = z.strictObject({
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
export const TaskName = z.enum(["math", "sign", "code"]);
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

/**
 * The verifier of a task. Its checker is loaded on first use (the math checker's compute engine and the code
 * sandbox are heavy to import), so registering the steps that use it stays cheap.
 */
export async function verifierFor(task: TaskName, fields: ProblemFields): Promise<Verifier> {
  if (task === "math") return (await import("./math_verifier.ts")).mathVerifier(fields);
  if (task === "sign") return (await import("./sign_verifier.ts")).signVerifier();
  return (await import("./code_verifier.ts")).codeVerifier();
}
