/**
 * The POST actions on a run: resume it in a new detached pipeline process, or cancel it with SIGTERM (the
 * engine then finishes its current commit and marks the run interrupted).
 *
 * @module
 */
import { ownerAlive } from "../workflow/owner.ts";
import type { RunRow } from "../workflow/store.ts";
import { ApiError } from "./errors.ts";

/**
 * The permissions a resumed pipeline runs with: those of `deno task pipeline` in `deno.json` (a test keeps
 * the two equal). Network access is unrestricted because `datasets fetch` and `model fetch` reach the Hub.
 */
export const PIPELINE_FLAGS: readonly string[] = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
  "--allow-net",
  "--allow-ffi",
  "--allow-sys",
];

/** The pipeline's production entry module. */
const DEFAULT_ENTRY = new URL("../cli.ts", import.meta.url).pathname;

/** Refuses to act on a run whose process is alive. */
function assertNotRunning(run: RunRow): void {
  if (run.status === "running" && ownerAlive(run)) {
    throw new ApiError(409, `run '${run.id}' is running (pid ${run.pid}); cancel it first`);
  }
}

/**
 * Starts `deno run ... ENTRY resume ID --runs-dir DIR` detached from the server, so it outlives it. `entry` is
 * the pipeline's entry module (default `src/cli.ts`; tests pass theirs, which registers the test step kinds).
 * Returns the new process id.
 */
export function resumeRun(run: RunRow, runsDir: string, entry = DEFAULT_ENTRY): number {
  assertNotRunning(run);
  if (run.status === "done") throw new ApiError(409, `run '${run.id}' is already done; nothing to resume`);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...PIPELINE_FLAGS, entry, "resume", run.id, "--runs-dir", runsDir],
    cwd: Deno.cwd(),
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  child.unref();
  child.status.catch(() => {}); // its outcome is in the run store
  return child.pid;
}

/** Sends SIGTERM to the process running `run`. Returns its pid. */
export function cancelRun(run: RunRow): number {
  if (run.status !== "running") throw new ApiError(409, `run '${run.id}' is ${run.status}, not running`);
  if (!ownerAlive(run)) {
    throw new ApiError(
      409,
      `run '${run.id}' is marked running but its process ${run.pid} is gone; resume it`,
    );
  }
  Deno.kill(run.pid, "SIGTERM");
  return run.pid;
}
