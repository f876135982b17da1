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

/**
 * Replaces a file durably: writes `path.tmp`, fsyncs it, renames it over `path` and fsyncs the directory, so
 * that after a crash (or on another host of a shared file system) `path` holds the old or the new content,
 * never a part.
 *
 * @example
 * ```ts ignore
 * await writeFileDurably("shards/0/commit.json", new TextEncoder().encode("{}"));
 * ```
 */
export async function writeFileDurably(path: string, bytes: Uint8Array): Promise<void> {
  const temp = `${path}.tmp`;
  {
    using file = await Deno.open(temp, { create: true, write: true, truncate: true });
    await writeAll(file, bytes);
    await file.syncData();
  }
  await Deno.rename(temp, path);
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) || "/" : ".";
  try {
    using handle = await Deno.open(dir, { read: true });
    await handle.sync();
  } catch {
    // some file systems refuse to sync a directory; the rename itself is atomic
  }
}
