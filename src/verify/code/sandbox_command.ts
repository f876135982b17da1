/**
 * Builds the command line of a sandbox process: `setsid` (own process group, so a timeout kills all of
 * it), `prlimit --data` (a memory limit that counts typed arrays and WebAssembly memory, unlike V8's heap
 * flag), then `deno run` with no permission except, for Python, reading Pyodide's own directory.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { dirname } from "node:path";
import type { SandboxLimits } from "./types.ts";

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
      `--data=${limits.memoryBytes}`,
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
