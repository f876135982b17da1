/**
 * Step kind `verify.code`: runs generated code against its problem's unit tests in the sandbox and
 * attaches a verdict to each completion field of each record (for SCoRe: the first and second attempt).
 *
 * ```yaml
 * - id: verify
 *   uses: verify.code
 *   with:
 *     problems: ${{ steps.data.outputs.problems }}
 *     samples: ${{ steps.generate.outputs.samples }}
 *     completion_fields: [attempt1, attempt2]   # each gets `<field>_verdict`
 * ```
 *
 * @module
 */
import { z } from "zod";
import { ArtifactRef, defineStep, readRecords } from "../workflow/step.ts";
import { parseProblem } from "../verify/code/formats.ts";
import { SandboxPool } from "../verify/code/pool.ts";
import { type CodeProblem, type CodeVerdict, DEFAULT_LIMITS } from "../verify/code/types.ts";
import { type Attempt, verifyAttempts } from "../verify/code/verifier.ts";

const Params = z.strictObject({
  /** Problems in HumanEval, MultiPL-E or native format. */
  problems: ArtifactRef,
  /** Records holding completions. */
  samples: ArtifactRef,
  /** The record field naming the problem. */
  task_field: z.string().default("task_id"),
  /** Fields holding completions to verify; each gets a `<field>_verdict` next to it. */
  completion_fields: z.array(z.string()).min(1).default(["completion"]),
  /** Runner for problems that do not say their language. */
  language: z.enum(["python", "typescript", "javascript"]).default("python"),
  /** Seconds per sample. */
  timeout: z.number().positive().default(DEFAULT_LIMITS.timeoutSeconds),
  /** Sandbox processes (default: one per core). */
  concurrency: z.number().int().positive().optional(),
});

type SampleRecord = Record<string, unknown>;

function attemptsOf(
  record: SampleRecord,
  index: number,
  fields: readonly string[],
  taskField: string,
  problems: Map<string, CodeProblem>,
): Attempt[] {
  const taskId = record[taskField];
  const problem = typeof taskId === "string" ? problems.get(taskId) : undefined;
  if (!problem) {
    throw new Error(
      `verify.code: sample ${index} has ${taskField}=${JSON.stringify(taskId)}, which is not a known problem`,
    );
  }
  return fields.map((field) => {
    const completion = record[field];
    if (typeof completion !== "string") {
      throw new Error(
        `verify.code: sample ${index} field "${field}" must be a string (set completion_fields)`,
      );
    }
    return { problem, completion };
  });
}

/** The `verify.code` step kind. */
export const verifyCode = defineStep({
  name: "verify.code",
  source: import.meta.url,
  description: "Runs completions against their problem's unit tests in the sandbox and records verdicts",
  params: Params,
  shardable: true,
  outputs: {
    results: { kind: "records", description: "each sample plus <field>_verdict per completion field" },
  },
  async run(ctx) {
    const params = ctx.params;
    const problems = new Map<string, CodeProblem>();
    for (const record of await readRecords(params.problems)) {
      const problem = parseProblem(record, params.language);
      problems.set(problem.taskId, problem);
    }
    const samples = await readRecords<SampleRecord>(params.samples);
    const fields = params.completion_fields;
    const pool = new SandboxPool({
      concurrency: params.concurrency,
      limits: { ...DEFAULT_LIMITS, timeoutSeconds: params.timeout },
    });
    try {
      await ctx.forEachItem<SampleRecord, SampleRecord>({
        output: "results",
        items: samples,
        batchSize: 32,
        async process(batch, start) {
          const attempts = batch.flatMap((record, offset) =>
            attemptsOf(record, start + offset, fields, params.task_field, problems)
          );
          const verdicts = await verifyAttempts(pool, attempts);
          return batch.map((record, offset) => {
            const result: SampleRecord = { ...record };
            fields.forEach((field, position) => {
              const verdict: CodeVerdict = verdicts[offset * fields.length + position];
              result[`${field}_verdict`] = verdict;
            });
            return result;
          });
        },
      });
    } finally {
      await pool.close();
    }
  },
});
