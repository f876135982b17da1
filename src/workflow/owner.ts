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

/**
 * How often a running pipeline refreshes its run's `updated` time (its heartbeat), which is how a process on
 * another host (a second login node of a cluster, sharing the runs folder) tells whether the run's head lives.
 */
export const HEARTBEAT_MS = 15_000;
/** A run on another host whose heartbeat is older than this is taken as dead. */
export const HEARTBEAT_STALE_MS = 4 * HEARTBEAT_MS;

/** The owner token of a process: `PID:START@HOST` on Linux, `PID@HOST` elsewhere. */
export function ownerToken(pid: number = Deno.pid): string {
  const start = startTime(pid);
  return `${start === undefined ? String(pid) : `${pid}:${start}`}@${Deno.hostname()}`;
}

/** The parts of an owner token (`PID`, `PID:START`, either with `@HOST`). */
function parseOwner(token: string | null): { start?: string; host?: string } {
  const match = token?.match(/^\d+(?::(\d+))?(?:@(.+))?$/);
  return { start: match?.[1], host: match?.[2] };
}

/** The host that owns `run`, when its token names one other than this host (signals cannot reach it). */
export function remoteOwnerHost(run: Pick<RunRow, "owner">): string | undefined {
  const host = parseOwner(run.owner).host;
  return host !== undefined && host !== Deno.hostname() ? host : undefined;
}

/**
 * Whether the process that owns `run` is alive. On this host: the same pid with the same start time (a reused
 * pid does not count), or, for runs recorded without a start time, a live Deno process with that pid; true
 * when it cannot be told (no `/proc`). On another host (the owner token names it): whether the run's
 * heartbeat (`updated`) is more recent than {@link HEARTBEAT_STALE_MS}.
 */
export function ownerAlive(run: Pick<RunRow, "pid" | "owner"> & { updated?: number }): boolean {
  if (!Number.isInteger(run.pid) || run.pid <= 0) return false;
  const owner = parseOwner(run.owner);
  if (remoteOwnerHost(run) !== undefined) {
    return run.updated !== undefined && Date.now() - run.updated < HEARTBEAT_STALE_MS;
  }
  if (!hasProc()) return true;
  const start = startTime(run.pid);
  if (start === undefined) return false;
  if (owner.start !== undefined) return owner.start === start;
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
