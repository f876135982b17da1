/**
 * Content digests of the files and directories a step reads through its path parameters, for its cache key.
 *
 * A file's digest is its sha256; a directory's is {@link treeDigest} of every file below it (symbolic links
 * followed, as a Hugging Face cache's snapshot directories need). Hashing a multi-GB checkpoint on every run
 * would cost seconds, so each file's sha256 is remembered in the run store with its size, modification time,
 * status-change time and inode, and reused while all four are unchanged. A file changed in the last
 * {@link RECENT_CHANGE_MS} is hashed but not remembered: a second change within the same clock tick would
 * leave its timestamps as they were.
 *
 * @module
 */
import { resolve } from "node:path";
import { fileSha256, treeDigest } from "./artifacts.ts";
import type { FileDigest, RunStore } from "./store.ts";

/**
 * Files changed this recently (ms) are hashed every time. Deno reports the status-change time in whole
 * seconds, so this leaves a second of margin over the two seconds that coarse file-system clocks need.
 */
export const RECENT_CHANGE_MS = 3000;

/** The digests of some paths, and how much hashing they took. */
export interface InputDigests {
  /** Each path as given, with `file:SHA256`, `dir:DIGEST` or `missing`. */
  digests: Record<string, string>;
  /** Files hashed now. */
  hashedFiles: number;
  /** Bytes hashed now. */
  hashedBytes: number;
  /** Files whose remembered digest was reused. */
  reusedFiles: number;
}

interface FoundFile {
  /** Relative to the directory given (or the file's own path when a file was given). */
  path: string;
  absolute: string;
  info: Deno.FileInfo;
}

/** Every file below `root`, following symbolic links (each directory once). Dangling links are skipped. */
async function filesBelow(root: string): Promise<FoundFile[]> {
  const found: FoundFile[] = [];
  const seen = new Set<string>([await Deno.realPath(root)]);
  const visit = async (dir: string, prefix: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const absolute = `${dir}/${entry.name}`;
      const path = prefix ? `${prefix}/${entry.name}` : entry.name;
      const info = await Deno.stat(absolute).catch(() => undefined);
      if (info?.isFile) found.push({ path, absolute, info });
      else if (info?.isDirectory) {
        const real = await Deno.realPath(absolute);
        if (seen.has(real)) continue;
        seen.add(real);
        await visit(absolute, path);
      }
    }
  };
  await visit(root, "");
  return found;
}

/**
 * Computes digests of input paths, reusing the store's remembered file digests where they still hold.
 * `recentChangeMs` overrides {@link RECENT_CHANGE_MS} (tests).
 */
export async function digestInputs(
  store: RunStore,
  paths: readonly string[],
  recentChangeMs = RECENT_CHANGE_MS,
): Promise<InputDigests> {
  const result: InputDigests = { digests: {}, hashedFiles: 0, hashedBytes: 0, reusedFiles: 0 };
  const remember: FileDigest[] = [];
  const fileDigest = async (file: FoundFile): Promise<string> => {
    const stamp = {
      path: file.absolute,
      size: file.info.size,
      mtime: file.info.mtime?.getTime() ?? NaN,
      ctime: file.info.ctime?.getTime() ?? NaN,
      ino: file.info.ino ?? NaN,
    };
    const known = store.getFileDigest(stamp.path);
    if (
      known && known.size === stamp.size && known.mtime === stamp.mtime && known.ctime === stamp.ctime &&
      known.ino === stamp.ino
    ) {
      result.reusedFiles++;
      return known.sha256;
    }
    const sha256 = await fileSha256(stamp.path);
    result.hashedFiles++;
    result.hashedBytes += stamp.size;
    const settled = Date.now() - Math.max(stamp.mtime, stamp.ctime) > recentChangeMs;
    if (settled) remember.push({ ...stamp, sha256 }); // NaN stamps (no timestamps here) are never settled
    return sha256;
  };
  for (const path of paths) {
    const absolute = resolve(path);
    const info = await Deno.stat(absolute).catch(() => undefined);
    if (info?.isFile) {
      result.digests[path] = `file:${await fileDigest({ path, absolute, info })}`;
    } else if (info?.isDirectory) {
      const files = await filesBelow(absolute);
      const digests = [];
      for (const file of files) digests.push({ path: file.path, sha256: await fileDigest(file) });
      result.digests[path] = `dir:${treeDigest(digests)}`;
    } else {
      result.digests[path] = "missing";
    }
  }
  store.putFileDigests(remember);
  return result;
}
