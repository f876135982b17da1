/**
 * The Hugging Face cache layout, shared with `huggingface_hub`:
 *
 * ```
 * $HF_HUB_CACHE/models--org--name/
 *   blobs/<etag>                 file contents, named by their sha256 (LFS) or git blob sha1
 *   blobs/<etag>.incomplete      a download in progress (resumed from its length)
 *   snapshots/<commit>/<path>    relative symlinks to ../../blobs/<etag>
 *   refs/<revision>              the commit a branch or tag pointed at when last fetched
 * ```
 *
 * @example
 * ```ts
 * import { RepoCache } from "./cache.ts";
 * const cache = new RepoCache("/root/.cache/huggingface/hub", { type: "model", id: "org/name" });
 * cache.snapshotDir("0123456789abcdef0123456789abcdef01234567");
 * ```
 *
 * @module
 */
import { dirname, join, relative } from "node:path";
import { exists } from "../util/fs.ts";
import { cacheFolderName, isCommitHash, type Repo } from "./repo.ts";

/** One repository's folder in the cache. */
export class RepoCache {
  /** The repository's folder, for example `$HF_HUB_CACHE/models--org--name`. */
  readonly root: string;

  /** `cacheDir` is `$HF_HUB_CACHE`. */
  constructor(cacheDir: string, readonly repo: Repo) {
    this.root = join(cacheDir, cacheFolderName(repo));
  }

  /** Where a blob is kept once complete. */
  blobPath(etag: string): string {
    return join(this.root, "blobs", etag);
  }

  /** Where a blob is written while it downloads. */
  incompletePath(etag: string): string {
    return `${this.blobPath(etag)}.incomplete`;
  }

  /** The snapshot folder of a commit. */
  snapshotDir(commit: string): string {
    return join(this.root, "snapshots", commit);
  }

  /** The commit a revision resolved to when last fetched (a commit hash resolves to itself). */
  async readRef(revision: string): Promise<string | undefined> {
    if (isCommitHash(revision)) return revision;
    try {
      const commit = (await Deno.readTextFile(join(this.root, "refs", revision))).trim();
      return isCommitHash(commit) ? commit : undefined;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return undefined;
      throw error;
    }
  }

  /** Records that `revision` points at `commit` (nothing for a commit hash). */
  async writeRef(revision: string, commit: string): Promise<void> {
    if (isCommitHash(revision)) return;
    const path = join(this.root, "refs", revision);
    await Deno.mkdir(dirname(path), { recursive: true });
    await Deno.writeTextFile(`${path}.tmp`, commit);
    await Deno.rename(`${path}.tmp`, path);
  }

  /** Whether the snapshot of `commit` has `path` (a link to a complete blob). */
  hasFile(commit: string, path: string): Promise<boolean> {
    return exists(join(this.snapshotDir(commit), path));
  }

  /** Links `snapshots/<commit>/<path>` to the blob `etag` (relative, as huggingface_hub does). */
  async linkSnapshotFile(commit: string, path: string, etag: string): Promise<string> {
    const target = join(this.snapshotDir(commit), path);
    await Deno.mkdir(dirname(target), { recursive: true });
    await removeIfPresent(target);
    await Deno.symlink(relative(dirname(target), this.blobPath(etag)), target);
    return target;
  }
}

/**
 * Puts `source` (a snapshot file) at `target` as a plain file: a hard link to its blob when both are on one
 * file system, else a copy. Whatever was at `target` is replaced.
 */
export async function materialize(source: string, target: string): Promise<void> {
  const blob = await Deno.realPath(source);
  await Deno.mkdir(dirname(target), { recursive: true });
  await removeIfPresent(target);
  try {
    await Deno.link(blob, target);
  } catch {
    await Deno.copyFile(blob, target);
  }
}

/** Removes a file; a missing one is fine. */
export async function removeIfPresent(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}
