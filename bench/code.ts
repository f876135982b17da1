/**
 * Code verification benchmark: this project's sandbox side by side with openai/human-eval's harness.
 *
 * - Python, the mix of issue 15: the 164 HumanEval problems, each with its canonical solution twice, `pass`,
 *   `raise ValueError` and `return None` (820 samples, 40% pass), on 2 workers each (2 sandbox processes;
 *   human-eval's ThreadPoolExecutor of 2, one process per sample), timeout 3 s. Prints both wall times,
 *   the ratio, and whether the verdicts agree sample by sample. Then the same mix with 9 infinite loops
 *   added, and what each loop cost in worker time (the timeout is 3 s; the target is at most 4 s).
 * - TypeScript (20 native problems, 820 samples): canonical solutions, a mix of a third each passing, wrong
 *   and throwing, and that mix with 9 infinite loops added.
 *
 * The sandbox processes are started (and timed) before each run; the runs themselves are steady state.
 * human-eval comes from a checkout of its repository (`--human-eval DIR` or `HUMAN_EVAL_DIR`), run by
 * Debian's python3; without one, its half is skipped with a one-line message.
 *
 * Run: `HUMAN_EVAL_DIR=... deno task bench code`, or `deno run -A bench/code.ts [--human-eval DIR]
 * [--concurrency N] [--only python|typescript]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { parseProblem } from "../src/verify/code/formats.ts";
import { SandboxPool } from "../src/verify/code/pool.ts";
import { loadProblems } from "../src/verify/code/problems.ts";
import { sharedData } from "../src/testing/shared_data.ts";
import { type CodeProblem, type CodeVerdict, DEFAULT_LIMITS } from "../src/verify/code/types.ts";
import { type Attempt, verifyAttempts } from "../src/verify/code/verifier.ts";
import { findHumanEval, type HumanEvalRun, runHumanEval } from "./_human_eval.ts";
import { TS_BENCH_PROBLEMS } from "./code_ts_problems.ts";

const TIMEOUT_SECONDS = 3;
const LOOPS = 9;

/** The Python mix: per problem, canonical, `pass`, `raise ValueError`, `return None`, canonical. */
function pythonMix(problems: CodeProblem[]): Attempt[] {
  return problems.flatMap((problem) =>
    [
      problem.canonicalSolution ?? "",
      "    pass\n",
      "    raise ValueError\n",
      "    return None\n",
      problem.canonicalSolution ?? "",
    ]
      .map((completion) => ({ problem, completion }))
  );
}

/** A third each of canonical, wrong and throwing completions of the TypeScript problems, 820 in all. */
function typeScriptMix(problems: CodeProblem[], canonicalOnly: boolean): Attempt[] {
  return Array.from({ length: 820 }, (_, index) => {
    const problem = problems[index % problems.length];
    const completions = [
      problem.canonicalSolution ?? "",
      "  return undefined as never;\n}\n",
      "  throw new Error('not implemented');\n}\n",
    ];
    return { problem, completion: canonicalOnly ? completions[0] : completions[index % 3] };
  });
}

/** `attempts` with `LOOPS` infinite loops spread evenly through it. */
function withLoops(attempts: Attempt[], loop: string): Attempt[] {
  const result = [...attempts];
  for (let index = LOOPS - 1; index >= 0; index--) {
    const at = Math.floor(((index + 0.5) * attempts.length) / LOOPS);
    result.splice(at, 0, { problem: attempts[at].problem, completion: loop });
  }
  return result;
}

/** A pool of `workers` sandbox processes, started (one honest sample each) before it is handed out. */
async function warmPool(
  workers: number,
  attempts: Attempt[],
): Promise<{ pool: SandboxPool; startup: number }> {
  const pool = new SandboxPool({
    concurrency: workers,
    limits: { ...DEFAULT_LIMITS, timeoutSeconds: TIMEOUT_SECONDS },
  });
  const start = performance.now();
  await verifyAttempts(pool, attempts.slice(0, workers));
  return { pool, startup: (performance.now() - start) / 1000 };
}

async function runOurs(
  workers: number,
  attempts: Attempt[],
): Promise<{ seconds: number; startup: number; verdicts: CodeVerdict[] }> {
  const { pool, startup } = await warmPool(workers, attempts);
  try {
    const start = performance.now();
    const verdicts = await verifyAttempts(pool, attempts);
    return { seconds: (performance.now() - start) / 1000, startup, verdicts };
  } finally {
    await pool.close();
  }
}

const rate = (count: number, seconds: number) => `${(count / seconds).toFixed(1)}/s`;
const passes = (passed: boolean[]) => passed.filter(Boolean).length;

/** Samples on which the two harnesses disagree about passing, as "index task: ours / human-eval". */
function disagreements(attempts: Attempt[], ours: CodeVerdict[], theirs: HumanEvalRun): string[] {
  return attempts.flatMap((attempt, index) =>
    ours[index].passed === theirs.passed[index]
      ? []
      : [`${index} ${attempt.problem.taskId}: ${ours[index].result} / ${theirs.results[index]}`]
  );
}

async function benchPython(workers: number, humanEvalDir: string | undefined, skip: string | undefined) {
  const problemsPath = sharedData("humaneval/HumanEval.jsonl.gz").path;
  const problems = [...(await loadProblems(problemsPath, "python")).values()];
  const mix = pythonMix(problems);
  const looped = withLoops(mix, "    while True:\n        pass\n");
  const label =
    `python, HumanEval mix (${mix.length} samples: canonical x2, pass, raise ValueError, return None)`;
  // Order: ours, human-eval, human-eval, ours, so that a drift in the machine's load favours neither.
  const oursMix = await runOurs(workers, mix);
  const theirsMix = humanEvalDir
    ? await runHumanEval(humanEvalDir, problemsPath, mix, workers, TIMEOUT_SECONDS)
    : undefined;
  const theirsLooped = humanEvalDir
    ? await runHumanEval(humanEvalDir, problemsPath, looped, workers, TIMEOUT_SECONDS)
    : undefined;
  const oursLooped = await runOurs(workers, looped);
  const oursPassed = oursMix.verdicts.map((verdict) => verdict.passed);
  console.log(`${label}, ${workers} workers each, timeout ${TIMEOUT_SECONDS} s`);
  console.log(
    `  this project: ${oursMix.seconds.toFixed(2)} s (${rate(mix.length, oursMix.seconds)}, ${
      passes(oursPassed)
    } passed; ` +
      `start-up of ${workers} processes before it: ${oursMix.startup.toFixed(1)} s)`,
  );
  if (!theirsMix || !theirsLooped) console.log(`  ${skip}`);
  else {
    console.log(
      `  human-eval:   ${theirsMix.seconds.toFixed(2)} s (${rate(mix.length, theirsMix.seconds)}, ${
        passes(theirsMix.passed)
      } passed)`,
    );
    if (theirsMix.note) console.log(`  (${theirsMix.note})`);
    const differ = disagreements(mix, oursMix.verdicts, theirsMix);
    console.log(
      `  => ${
        (theirsMix.seconds / oursMix.seconds).toFixed(2)
      }x human-eval's throughput; verdicts identical on ` +
        `${mix.length - differ.length}/${mix.length}${
          differ.length ? ": " + differ.slice(0, 5).join("; ") : ""
        }`,
    );
  }
  const loopCost = (looped: number, plain: number) => (((looped - plain) * workers) / LOOPS).toFixed(2);
  console.log(`  with ${LOOPS} infinite loops added (${looped.length} samples):`);
  const oursTimeouts = oursLooped.verdicts.filter((verdict) => verdict.status === "timeout").length;
  console.log(
    `  this project: ${oursLooped.seconds.toFixed(2)} s, ${oursTimeouts} timeouts; each loop cost ` +
      `${loopCost(oursLooped.seconds, oursMix.seconds)} s of a worker (timeout ${TIMEOUT_SECONDS} s)`,
  );
  if (theirsMix && theirsLooped) {
    const differ = disagreements(looped, oursLooped.verdicts, theirsLooped);
    console.log(
      `  human-eval:   ${theirsLooped.seconds.toFixed(2)} s; each loop cost ${
        loopCost(theirsLooped.seconds, theirsMix.seconds)
      } s ` +
        `of a worker; ${(theirsLooped.seconds / oursLooped.seconds).toFixed(2)}x; verdicts identical on ` +
        `${looped.length - differ.length}/${looped.length}`,
    );
  }
}

async function benchTypeScript(workers: number) {
  const problems = TS_BENCH_PROBLEMS.map((record) => parseProblem(record, "typescript"));
  const canonical = await runOurs(workers, typeScriptMix(problems, true));
  const mix = typeScriptMix(problems, false);
  const mixed = await runOurs(workers, mix);
  const looped = await runOurs(workers, withLoops(mix, "  while (true) {}\n}\n"));
  const timeouts = looped.verdicts.filter((verdict) => verdict.status === "timeout").length;
  console.log(
    `typescript, ${TS_BENCH_PROBLEMS.length} native problems, 820 samples, ${workers} workers, a fresh worker per sample`,
  );
  console.log(
    `  canonical: ${canonical.seconds.toFixed(2)} s (${rate(820, canonical.seconds)}, ` +
      `${passes(canonical.verdicts.map((verdict) => verdict.passed))} passed)`,
  );
  console.log(
    `  a third each passing, wrong, throwing: ${mixed.seconds.toFixed(2)} s (${rate(820, mixed.seconds)}, ` +
      `${passes(mixed.verdicts.map((verdict) => verdict.passed))} passed)`,
  );
  console.log(
    `  with ${LOOPS} infinite loops added: ${
      looped.seconds.toFixed(2)
    } s, ${timeouts} timeouts; each loop cost ` +
      `${
        (((looped.seconds - mixed.seconds) * workers) / LOOPS).toFixed(2)
      } s of a worker (timeout ${TIMEOUT_SECONDS} s)`,
  );
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { concurrency: { type: "string" }, only: { type: "string" }, "human-eval": { type: "string" } },
  });
  const workers = Number(values.concurrency ?? 2);
  console.log(`code verification bench: ${workers} workers, ${navigator.hardwareConcurrency} cores`);
  if (values.only !== "typescript") {
    const found = findHumanEval(values["human-eval"]);
    await benchPython(
      workers,
      "dir" in found ? found.dir : undefined,
      "skip" in found ? found.skip : undefined,
    );
  }
  if (values.only !== "python") await benchTypeScript(workers);
}
