/**
 * How the pipeline launches itself: the one list of Deno permissions a pipeline process runs with (the same
 * as `deno task pipeline` in deno.json, which a test checks), used for shards on cluster nodes and for runs
 * the status server resumes.
 *
 * @example
 * ```ts
 * import { pipelineCommand } from "./launch.ts";
 * const [deno, ...args] = pipelineCommand("src/cli.ts", ["status"]);
 * ```
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** The permissions of a pipeline process: those of the `pipeline` task in deno.json. */
export const PIPELINE_PERMISSIONS: readonly string[] = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
  "--allow-net",
  "--allow-ffi",
  "--allow-sys",
];

/** The production entry module, `src/cli.ts`. */
export const PRODUCTION_ENTRY: string = fileURLToPath(new URL("../../cli.ts", import.meta.url));

/**
 * The entry module of this process when it is a local file (the CLI a head runs as, so its shards run the
 * same one, test step kinds included), else {@link PRODUCTION_ENTRY}.
 */
export function currentEntry(): string {
  return Deno.mainModule.startsWith("file:") ? fileURLToPath(Deno.mainModule) : PRODUCTION_ENTRY;
}

/** The command line `deno run PERMISSIONS ENTRY ...args`, with this process's Deno executable. */
export function pipelineCommand(entry: string, args: readonly string[]): string[] {
  return [Deno.execPath(), "run", ...PIPELINE_PERMISSIONS, entry, ...args];
}
