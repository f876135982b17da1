/**
 * Code verification throughput: samples per second for Python (HumanEval canonical solutions, 5 copies
 * each = 820 samples) and TypeScript (20 native problems, 41 copies each = 820 samples), on a pool of
 * one sandbox process per core. Prints the start-up time separately from the steady-state rate.
 *
 * Two more figures show the costly paths: TypeScript on a mix closer to RL (a third each of passing,
 * wrong and throwing completions; throwing ones are re-run in a fresh worker), and how long a Python
 * process takes to answer its next sample after one ran past a 1 s timeout.
 *
 * Run: `deno run -A bench/code.ts [--concurrency N] [--only python|typescript]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { parseProblem } from "../src/verify/code/formats.ts";
import { SandboxPool } from "../src/verify/code/pool.ts";
import { loadProblems } from "../src/verify/code/problems.ts";
import { sharedData } from "../src/testing/shared_data.ts";
import { type CodeProblem, DEFAULT_LIMITS } from "../src/verify/code/types.ts";
import { type Attempt, verifyAttempts } from "../src/verify/code/verifier.ts";
import { TS_BENCH_PROBLEMS } from "./code_ts_problems.ts";

const SAMPLES = 820;

/** Completion `index` of the run: always the canonical solution. */
type CompletionFor = (problem: CodeProblem, index: number) => string;

const canonical: CompletionFor = (problem) => problem.canonicalSolution ?? "";

/** A third each: the canonical solution, a wrong answer, an exception (TypeScript problems). */
const mixedTypeScript: CompletionFor = (problem, index) =>
  [
    canonical(problem, index),
    "  return undefined as never;\n}\n",
    "  throw new Error('not implemented');\n}\n",
  ][index % 3];

function attemptsFor(problems: CodeProblem[], completionFor: CompletionFor): Attempt[] {
  return Array.from({ length: SAMPLES }, (_, index) => {
    const problem = problems[index % problems.length];
    return { problem, completion: completionFor(problem, index) };
  });
}

async function measure(
  label: string,
  problems: CodeProblem[],
  concurrency: number,
  completionFor: CompletionFor = canonical,
): Promise<void> {
  const pool = new SandboxPool({ concurrency });
  try {
    const warmStart = performance.now();
    await verifyAttempts(
      pool,
      problems.slice(0, concurrency).map((problem) => ({
        problem,
        completion: problem.canonicalSolution ?? "",
      })),
    );
    const startupSeconds = (performance.now() - warmStart) / 1000;
    const attempts = attemptsFor(problems, completionFor);
    const start = performance.now();
    const verdicts = await verifyAttempts(pool, attempts);
    const seconds = (performance.now() - start) / 1000;
    const passed = verdicts.filter((verdict) => verdict.passed).length;
    const rate = SAMPLES / seconds;
    const withStartup = SAMPLES / (seconds + startupSeconds);
    console.log(
      `${label}: ${rate.toFixed(1)} samples/s steady (${SAMPLES} samples in ${seconds.toFixed(2)} s, ` +
        `${passed}/${SAMPLES} passed); ${withStartup.toFixed(1)} samples/s including ${
          startupSeconds.toFixed(2)
        } s start-up`,
    );
  } finally {
    await pool.close();
  }
}

/** Seconds from a Python timeout's verdict to the next sample's verdict on the same process. */
async function measureTimeoutRecovery(problem: CodeProblem): Promise<void> {
  const pool = new SandboxPool({ concurrency: 1, limits: { ...DEFAULT_LIMITS, timeoutSeconds: 1 } });
  try {
    await verifyAttempts(pool, [{ problem, completion: canonical(problem, 0) }]);
    const loopStart = performance.now();
    const [loop] = await verifyAttempts(pool, [{ problem, completion: "    while True:\n        pass\n" }]);
    const timedOutAfter = (performance.now() - loopStart) / 1000;
    const nextStart = performance.now();
    const [next] = await verifyAttempts(pool, [{ problem, completion: canonical(problem, 0) }]);
    const nextAfter = (performance.now() - nextStart) / 1000;
    console.log(
      `python timeout (1 s limit): ${loop.status} after ${timedOutAfter.toFixed(2)} s; the next sample ` +
        `(${next.status}) answered ${nextAfter.toFixed(2)} s later`,
    );
  } finally {
    await pool.close();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { concurrency: { type: "string" }, only: { type: "string" } },
  });
  const concurrency = Number(values.concurrency ?? navigator.hardwareConcurrency);
  console.log(
    `code verification bench: ${concurrency} sandbox processes, ${navigator.hardwareConcurrency} cores`,
  );
  if (values.only !== "typescript") {
    const humanEval = [
      ...(await loadProblems(sharedData("humaneval/HumanEval.jsonl.gz").path, "python")).values(),
    ];
    await measure("python", humanEval, concurrency);
    await measureTimeoutRecovery(humanEval[0]);
  }
  if (values.only !== "python") {
    const problems = TS_BENCH_PROBLEMS.map((record) => parseProblem(record, "typescript"));
    await measure("typescript", problems, concurrency);
    await measure(
      "typescript mixed (1/3 pass, 1/3 wrong, 1/3 throw)",
      problems,
      concurrency,
      mixedTypeScript,
    );
  }
}
