/**
 * Temporary directories for tests, removed afterwards whether the test passed or not.
 *
 * @module
 */

/**
 * Runs `fn` on a new temporary directory and removes the directory afterwards (also when `fn` throws).
 *
 * ```ts
 * import { withTempDir } from "./temp_dir.ts";
 * const text = await withTempDir(async (dir) => {
 *   await Deno.writeTextFile(`${dir}/a.txt`, "a");
 *   return await Deno.readTextFile(`${dir}/a.txt`);
 * }); // "a"
 * ```
 */
export async function withTempDir<T>(
  fn: (dir: string) => Promise<T>,
  options: Deno.MakeTempOptions = {},
): Promise<T> {
  const dir = await Deno.makeTempDir(options);
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * {@link withTempDir} with `files` (name → text) written into the directory first.
 *
 * ```ts
 * import { withFiles } from "./temp_dir.ts";
 * await withFiles({ "in.jsonl": '{"a":1}\n' }, async (dir) => {
 *   await Deno.readTextFile(`${dir}/in.jsonl`);
 * });
 * ```
 */
export function withFiles<T>(
  files: Record<string, string>,
  fn: (dir: string) => Promise<T>,
  options: Deno.MakeTempOptions = {},
): Promise<T> {
  return withTempDir(async (dir) => {
    for (const [name, text] of Object.entries(files)) await Deno.writeTextFile(`${dir}/${name}`, text);
    return await fn(dir);
  }, options);
}
