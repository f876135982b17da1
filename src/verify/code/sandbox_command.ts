/**
 * Builds the command line of a sandbox process: `setsid` (own process group, so a timeout kills all of
 * it), `prlimit --data` (a memory limit that counts typed arrays and WebAssembly memory, unlike V8's heap
 * flag), then `deno run` with no permission except, for Python, reading Pyodide's own directory and
 * `sandbox/` (the runner's engine worker is loaded from there; sample code never reaches JavaScript).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { dirname } from "node:path";
import type { SandboxLimits } from "./types.ts";

/**
 * Added to the data limit for V8's own reservations: every isolate (the runner's main thread and each
 * worker) reserves a 512 MiB executable code range, which `RLIMIT_DATA` counts although almost none of
 * it is ever used. A runner has at most four isolates at once (main, the current worker or engine, a
 * spare one, and one being torn down).
 */
export const CODE_RANGE_HEADROOM_BYTES = 4 * 512 * 1024 ** 2;

/** Which trusted runner a process hosts. */
export type RunnerKind = "python" | "js";

const SANDBOX_DIR = fileURLToPath(new URL("../../../sandbox/", import.meta.url));

/** The runner entry module for a kind. */
export function runnerPath(kind: RunnerKind): string {
  return SANDBOX_DIR + (kind === "python" ? "python_runner.ts" : "js_runner.ts");
}

/** Pyodide's package directory (holding pyodide.mjs, the wasm and the stdlib zip), resolved from the repo. */
export function pyodideDir(): string {
  const root = fileURLToPath(new URL("../../../", import.meta.url));
  const linked = root + "node_modules/pyodide";
  try {
    return Deno.realPathSync(linked);
  } catch {
    throw new Error(`pyodide is not installed at ${linked}: run \`deno install\` in ${dirname(linked)}/..`);
  }
}

/** Executable and arguments for a sandbox process of `kind`. */
export function sandboxCommand(kind: RunnerKind, limits: SandboxLimits): { command: string; args: string[] } {
  // A JS heap bomb ends the process at V8's heap limit; a smaller one for JS/TS samples gets there fast.
  const v8Flags = [`--max-old-space-size=${kind === "python" ? 512 : 256}`];
  const permissions: string[] = [];
  const runnerArgs: string[] = [];
  if (kind === "python") {
    const dir = pyodideDir();
    // The runner's engine worker is loaded from this folder; sample code never reaches JavaScript.
    permissions.push(`--allow-read=${dir},${SANDBOX_DIR}`);
    v8Flags.push("--disallow-code-generation-from-strings");
    runnerArgs.push(dir);
  }
  return {
    command: "/usr/bin/setsid",
    args: [
      "/usr/bin/prlimit",
      `--data=${limits.memoryBytes + CODE_RANGE_HEADROOM_BYTES}`,
      "--core=0",
      "--",
      Deno.execPath(),
      "run",
      "--quiet",
      "--no-prompt",
      "--no-npm",
      "--no-remote",
      "--no-config",
      "--no-lock",
      `--v8-flags=${v8Flags.join(",")}`,
      ...permissions,
      runnerPath(kind),
      ...runnerArgs,
    ],
  };
}
