/**
 * Runs openai/human-eval's own harness on the same samples as the sandbox, for bench/code.ts: writes the
 * samples to a temporary JSONL file and runs bench/code_human_eval.py (see there for how human-eval is
 * imported and what is changed at runtime) with Debian's python3.
 *
 * @module
 */
import type { CodeProblem } from "../src/verify/code/types.ts";

/** Where to find a checkout of https://github.com/openai/human-eval: `--human-eval DIR` or this variable. */
export const HUMAN_EVAL_VARIABLE = "HUMAN_EVAL_DIR";

/** What human-eval said about each sample, and how long the whole run took. */
export interface HumanEvalRun {
  seconds: number;
  passed: boolean[];
  results: string[];
}

/**
 * The human-eval checkout to compare against, or a one-line reason why there is none (no checkout given,
 * not a checkout, no python3).
 */
export function findHumanEval(fromArgs: string | undefined): { dir: string } | { skip: string } {
  const dir = fromArgs ?? Deno.env.get(HUMAN_EVAL_VARIABLE);
  const how =
    `pass --human-eval DIR or set ${HUMAN_EVAL_VARIABLE} to a checkout of https://github.com/openai/human-eval`;
  if (!dir) return { skip: `human-eval comparison skipped: ${how}` };
  try {
    Deno.statSync(`${dir}/human_eval/execution.py`);
  } catch {
    return { skip: `human-eval comparison skipped: ${dir}/human_eval/execution.py not found (${how})` };
  }
  try {
    new Deno.Command("python3", { args: ["--version"], stdout: "null", stderr: "null" }).outputSync();
  } catch {
    return { skip: "human-eval comparison skipped: python3 is not on PATH" };
  }
  return { dir };
}

/** Runs human-eval on `samples` with `workers` threads and `timeoutSeconds` per sample. */
export async function runHumanEval(
  dir: string,
  problemsPath: string,
  samples: readonly { problem: CodeProblem; completion: string }[],
  workers: number,
  timeoutSeconds: number,
): Promise<HumanEvalRun & { note: string }> {
  const samplesPath = await Deno.makeTempFile({ prefix: "bench-human-eval-", suffix: ".jsonl" });
  try {
    const lines = samples.map(({ problem, completion }) =>
      JSON.stringify({ task_id: problem.taskId, completion })
    );
    await Deno.writeTextFile(samplesPath, lines.join("\n") + "\n");
    const driver = new URL("./code_human_eval.py", import.meta.url).pathname;
    const args = [driver, dir, problemsPath, samplesPath, String(workers), String(timeoutSeconds)];
    const output = await new Deno.Command("python3", { args, stdout: "piped", stderr: "piped" }).output();
    const stderr = new TextDecoder().decode(output.stderr).trim();
    if (!output.success) {
      throw new Error(`human-eval driver failed (exit ${output.code}): ${stderr.slice(-500)}`);
    }
    const records = new TextDecoder().decode(output.stdout).trim().split("\n").map((line) =>
      JSON.parse(line)
    );
    const { seconds } = records.pop() as { seconds: number };
    const verdicts = records as { index: number; passed: boolean; result: string }[];
    return {
      seconds,
      passed: verdicts.map((verdict) => verdict.passed),
      results: verdicts.map((verdict) => verdict.result),
      note: stderr.split("\n").find((line) => line.startsWith("human-eval:")) ?? "",
    };
  } finally {
    await Deno.remove(samplesPath);
  }
}
