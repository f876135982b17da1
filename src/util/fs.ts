/**
 * Small file-system helpers shared across the project.
 *
 * @module
 */

/** Whether a path exists (other errors, such as a permission error, are thrown). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Writes all of `bytes` to an open file (a single `write` may write fewer). */
export async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.byteLength) written += await file.write(bytes.subarray(written));
}
