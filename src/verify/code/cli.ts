/**
 * `pipeline verify-code`: verifies a JSONL file of samples against a problems file and writes
 * human-eval-compatible results (each sample plus `passed`, `result` and `status`), then prints pass@k.
 *
 * ```
 * pipeline verify-code --problems FILE --samples FILE --out FILE
 *   [--language python|typescript|javascript] [--timeout S] [--concurrency N]
 * ```
 *
 * @module
 */
import { InputFileError, readJsonlLines } from "../../data/jsonl.ts";
import { parseFlagsOrReport, stringFlags } from "../../util/args.ts";
import { meanPassAtK } from "./pass_at_k.ts";
import { SandboxPool } from "./pool.ts";
import { loadProblems } from "./problems.ts";
import { type Attempt, verifyAttempts } from "./verifier.ts";
import { type CodeLanguage, type CodeProblem, DEFAULT_LIMITS } from "./types.ts";

const USAGE = "usage: pipeline verify-code --problems FILE --samples FILE --out FILE " +
  "[--language python|typescript|javascript] [--timeout S] [--concurrency N]";

/** A sample line: human-eval's `{task_id, completion}` (other fields are kept). */
interface SampleRecord {
  task_id: string;
  completion: string;
  [field: string]: unknown;
}

async function loadSamples(path: string, problems: Map<string, CodeProblem>): Promise<SampleRecord[]> {
  const samples: SampleRecord[] = [];
  for (const { line, value } of await readJsonlLines(path)) {
    const record = value as Partial<SampleRecord> | null;
    if (typeof record !== "object" || record === null || Array.isArray(record)) {
      throw new InputFileError(path, line, "a sample must be a JSON object");
    }
    if (typeof record.task_id !== "string") {
      throw new InputFileError(path, line, `field "task_id" must be a string`);
    }
    if (typeof record.completion !== "string") {
      throw new InputFileError(path, line, `field "completion" must be a string`);
    }
    if (!problems.has(record.task_id)) {
      throw new InputFileError(
        path,
        line,
        `unknown task id ${JSON.stringify(record.task_id)} (not in the problems file)`,
      );
    }
    samples.push(record as SampleRecord);
  }
  return samples;
}

function positiveNumber(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new InputFileError(`--${flag}`, 0, `must be a positive number`);
  }
  return value;
}

/** Counts `[n, c]` per task for pass@k. */
function countsPerTask(samples: readonly SampleRecord[], passed: readonly boolean[]): [number, number][] {
  const counts = new Map<string, [number, number]>();
  samples.forEach((sample, index) => {
    const entry = counts.get(sample.task_id) ?? [0, 0];
    entry[0]++;
    if (passed[index]) entry[1]++;
    counts.set(sample.task_id, entry);
  });
  return [...counts.values()];
}

/** Runs the subcommand. Exit codes: 0 ok, 1 failure, 2 bad input. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseFlagsOrReport("verify-code", USAGE, {
    args,
    options: {
      ...stringFlags("problems", "samples", "out", "timeout", "concurrency"),
      language: { type: "string", default: "python" },
    },
  });
  if (!parsed) return 2;
  const { values } = parsed;
  if (!values.problems || !values.samples || !values.out) {
    console.error(`verify-code: --problems, --samples and --out are required\n${USAGE}`);
    return 2;
  }
  const language = values.language as CodeLanguage;
  if (!["python", "typescript", "javascript"].includes(language)) {
    console.error(`verify-code: --language must be python, typescript or javascript (got ${language})`);
    return 2;
  }
  let attempts: Attempt[];
  let samples: SampleRecord[];
  let pool: SandboxPool;
  try {
    const problems = await loadProblems(values.problems, language);
    samples = await loadSamples(values.samples, problems);
    attempts = samples.map((sample) => ({
      problem: problems.get(sample.task_id)!,
      completion: sample.completion,
    }));
    const timeoutSeconds = positiveNumber("timeout", values.timeout, DEFAULT_LIMITS.timeoutSeconds);
    const concurrency = Math.floor(
      positiveNumber("concurrency", values.concurrency, navigator.hardwareConcurrency),
    );
    pool = new SandboxPool({ concurrency, limits: { ...DEFAULT_LIMITS, timeoutSeconds } });
  } catch (error) {
    if (!(error instanceof InputFileError)) throw error;
    console.error(`verify-code: ${error.message}`);
    return 2;
  }
  try {
    const verdicts = await verifyAttempts(pool, attempts);
    const lines = samples.map((sample, index) => {
      const { passed, result, status } = verdicts[index];
      return JSON.stringify({ ...sample, passed, result, status });
    });
    await Deno.writeTextFile(values.out, lines.join("\n") + (lines.length ? "\n" : ""));
    const counts = countsPerTask(samples, verdicts.map((verdict) => verdict.passed));
    const summary = [1, 10, 100].filter((k) => counts.some(([n]) => n >= k))
      .map((k) => `pass@${k}=${meanPassAtK(counts, k).toFixed(4)}`);
    console.log(`verify-code: ${samples.length} samples, ${summary.join(" ")} -> ${values.out}`);
    return 0;
  } catch (error) {
    console.error(`verify-code: ${(error as Error).message}`);
    return 1;
  } finally {
    await pool.close();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
