/**
 * Which process owns a run, and whether it is still alive. A run records its process id and, on Linux, the
 * process's start time (`/proc/PID/stat`, field 22), so a process killed with SIGKILL, whose run still says
 * `running`, is told apart from a live one, even after its pid was reused by another process.
 *
 * Readers (`pipeline status`, `list`, the status server) show such a run as {@link observeRun} says,
 * `interrupted`, and its running steps as {@link observeSteps} says, `interrupted` too. Where `/proc` is missing the owner cannot be
 * checked and a run is taken at its word.
 *
 * @module
 */
import type { RunRow, StepRow } from "./store.ts";

/** The start time of a process in clock ticks since boot, or undefined (no such process, or no `/proc`). */
function startTime(pid: number): string | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // `pid (comm) state ppid ...`: comm may hold spaces and parentheses, so split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const state = fields[0];
    if (state === "Z" || state === "X") return undefined; // exited, not yet reaped
    return fields[19];
  } catch {
    return undefined;
  }
}

/** Whether this system exposes processes under `/proc` (Linux). */
function hasProc(): boolean {
  try {
    Deno.statSync("/proc/self/stat");
    return true;
  } catch {
    return false;
  }
}

/** The owner token of a process: `PID:START` on Linux, `PID` elsewhere. */
export function ownerToken(pid: number = Deno.pid): string {
  const start = startTime(pid);
  return start === undefined ? String(pid) : `${pid}:${start}`;
}

/**
 * Whether the process that owns `run` is alive: the same pid with the same start time (a reused pid does not
 * count), or, for runs recorded without a start time, a live Deno process with that pid. True when it cannot
 * be told (no `/proc`).
 */
export function ownerAlive(run: Pick<RunRow, "pid" | "owner">): boolean {
  if (!Number.isInteger(run.pid) || run.pid <= 0) return false;
  if (!hasProc()) return true;
  const start = startTime(run.pid);
  if (start === undefined) return false;
  const recorded = run.owner?.split(":")[1];
  if (recorded !== undefined) return recorded === start;
  try {
    return Deno.readTextFileSync(`/proc/${run.pid}/cmdline`).includes("deno");
  } catch {
    return false;
  }
}

/**
 * A run as a reader should show it: a run marked `running` whose process is gone is `interrupted`, with an
 * error that says so and how to continue.
 */
export function observeRun<R extends RunRow>(run: R): R {
  if (run.status !== "running" || ownerAlive(run)) return run;
  const error =
    `its process (pid ${run.pid}) exited without finishing the run; continue it: deno task pipeline resume ${run.id}`;
  return { ...run, status: "interrupted", error };
}

/** A run's steps as a reader should show them: a step is only `running` while its (observed) run is. */
export function observeSteps(run: Pick<RunRow, "status">, steps: readonly StepRow[]): StepRow[] {
  if (run.status === "running") return [...steps];
  return steps.map((step) => step.status === "running" ? { ...step, status: "interrupted" } : step);
}
