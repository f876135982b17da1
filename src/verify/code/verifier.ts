/**
 * Verifies completions against problems: builds the sandbox requests, runs them on a pool and turns the
 * responses into human-eval style verdicts.
 *
 * @module
 */
import type { SandboxResponse } from "../../../sandbox/protocol.ts";
import { buildRequest, requestForSolution } from "./formats.ts";
import type { PoolRequest, SandboxPool } from "./pool.ts";
import type { CodeProblem, CodeVerdict } from "./types.ts";

/** One completion to verify. */
export interface Attempt {
  /** The problem it answers. */
  problem: CodeProblem;
  /** The model's completion (appended to the prompt). */
  completion: string;
}

/** human-eval's `result` text for a response. */
export function resultText(response: Pick<SandboxResponse, "status" | "message">): string {
  switch (response.status) {
    case "passed":
      return "passed";
    case "timeout":
      return "timed out";
    case "failed":
      return `failed: ${response.message}`;
    default:
      return `${response.status}: ${response.message}`;
  }
}

/** Turns a sandbox response into a verdict. */
export function toVerdict(response: Pick<SandboxResponse, "status" | "message">): CodeVerdict {
  return {
    status: response.status,
    passed: response.status === "passed",
    result: resultText(response),
    message: response.message,
  };
}

/** One complete solution source to verify (see extract.ts for reading one out of a free-form response). */
export interface SolutionAttempt {
  /** The problem it answers. */
  problem: CodeProblem;
  /** The whole solution module (prompt included where it belongs). */
  solution: string;
}

/** Verifies attempts on `pool`, Python and JS/TS each on their own runner kind, preserving order. */
export function verifyAttempts(pool: SandboxPool, attempts: readonly Attempt[]): Promise<CodeVerdict[]> {
  return verifyRequests(pool, attempts.map((attempt) => buildRequest(attempt.problem, attempt.completion)));
}

/** Like {@link verifyAttempts}, for complete solution sources. */
export function verifySolutions(
  pool: SandboxPool,
  attempts: readonly SolutionAttempt[],
): Promise<CodeVerdict[]> {
  return verifyRequests(
    pool,
    attempts.map((attempt) => requestForSolution(attempt.problem, attempt.solution)),
  );
}

async function verifyRequests(pool: SandboxPool, requests: readonly PoolRequest[]): Promise<CodeVerdict[]> {
  const verdicts = new Array<CodeVerdict>(requests.length);
  const groups = { python: [] as number[], js: [] as number[] };
  requests.forEach((request, index) => groups[request.dialect === "python" ? "python" : "js"].push(index));
  await Promise.all((["python", "js"] as const).map(async (kind) => {
    const indices = groups[kind];
    if (indices.length === 0) return;
    const responses = await pool.runAll(kind, indices.map((index) => requests[index]));
    responses.forEach((response, position) => verdicts[indices[position]] = toVerdict(response));
  }));
  return verdicts;
}
