/**
 * Fault injection for crash tests. With `PIPELINE_CRASH_AT=POINT:ARG` the process kills itself with SIGKILL
 * when it reaches that point, as a power cut would:
 * - `commit:N`: at the N-th item commit, after the batch is on disk but before the store records it;
 * - `step:ID`: between steps, just before step ID starts.
 *
 * @module
 */

let commits = 0;

/** Kills the process with SIGKILL when `PIPELINE_CRASH_AT` names this point. */
export function crashPoint(point: "commit" | "step", arg?: string): void {
  const target = Deno.env.get("PIPELINE_CRASH_AT");
  if (!target?.startsWith(`${point}:`)) return;
  const wanted = target.slice(point.length + 1);
  const hit = point === "commit" ? ++commits === Number(wanted) : wanted === arg;
  if (hit) Deno.kill(Deno.pid, "SIGKILL");
}
