/**
 * Snapshots of Hub repositories in the cache, as `huggingface_hub.snapshot_download` makes them: the
 * revision is resolved to a commit through the info route, every file that matches the include patterns is
 * downloaded (or found in the cache) and linked under `snapshots/<commit>/`, and `refs/<revision>` records
 * the commit. With `HF_HUB_OFFLINE` the network is never used: the snapshot that `refs/<revision>` names is
 * served, or an error says it is missing.
 *
 * @example
 * ```ts ignore
 * import { fetchSnapshot } from "./snapshot.ts";
 * const snapshot = await fetchSnapshot({ type: "model", id: "Qwen/Qwen2.5-0.5B-Instruct" });
 * console.log(snapshot.dir); // .../models--Qwen--Qwen2.5-0.5B-Instruct/snapshots/<commit>
 * ```
 *
 * @module
 */
import { join, relative } from "node:path";
import { z } from "zod";
import { materialize, RepoCache } from "./cache.ts";
import { downloadBlob, fileMetadata } from "./download.ts";
import { HubError, hubJson } from "./http.ts";
import { ConsoleProgress, type DownloadProgress } from "./progress.ts";
import { checkRevision, describeRepo, fileUrl, infoUrl, type Repo } from "./repo.ts";
import { type HubSettings, hubSettings } from "./settings.ts";

/** The part of the info route's answer used here (the Hub sends many more fields, so not strict). */
const RepoInfo = z.object({
  sha: z.string().regex(/^[0-9a-f]{40}$/, "a commit hash"),
  siblings: z.array(z.object({ rfilename: z.string() })),
});

/** What {@link fetchSnapshot} needs besides the repository. */
export interface SnapshotOptions {
  /** Branch, tag or commit (default `main`). */
  revision?: string;
  /** fnmatch-style patterns (`*` also crosses `/`); a file is fetched when it matches one. Default: all. */
  include?: readonly string[];
  /** Default: read from the environment ({@link hubSettings}). */
  settings?: HubSettings;
  /** Default: a bar on a terminal, plain lines otherwise. */
  progress?: DownloadProgress;
}

/** A repository's files at one commit, in the cache. */
export interface Snapshot {
  repo: Repo;
  commit: string;
  /** `snapshots/<commit>` in the cache. */
  dir: string;
  /** The fetched files' paths in the repository, sorted. */
  files: string[];
}

/** Turns an fnmatch pattern into a regular expression (`*` any text, `?` one character). */
export function globToRegExp(pattern: string): RegExp {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${source}$`);
}

/** Whether `path` matches one of `patterns` (every path does when there are none). */
export function matchesAny(path: string, patterns: readonly string[] | undefined): boolean {
  return !patterns || patterns.length === 0 || patterns.some((pattern) => globToRegExp(pattern).test(path));
}

/** Downloads (or finds in the cache) a repository's files at a revision. */
export async function fetchSnapshot(repo: Repo, options: SnapshotOptions = {}): Promise<Snapshot> {
  const settings = options.settings ?? hubSettings();
  const revision = checkRevision(options.revision ?? "main");
  const cache = new RepoCache(settings.cacheDir, repo);
  if (settings.offline) return await cachedSnapshot(cache, revision, options.include);
  const info = RepoInfo.parse(await hubJson(infoUrl(settings.endpoint, repo, revision), settings));
  const files = info.siblings.map((s) => s.rfilename).filter((path) => matchesAny(path, options.include))
    .sort();
  if (files.length === 0) {
    throw new HubError(
      `${describeRepo(repo)} at ${revision} has no file matching ${JSON.stringify(options.include)} ` +
        `(it has: ${info.siblings.slice(0, 20).map((s) => s.rfilename).join(", ")})`,
    );
  }
  const progress = options.progress ?? new ConsoleProgress();
  for (const path of files) {
    if (await cache.hasFile(info.sha, path)) {
      progress.skipped(path, "cached");
      continue;
    }
    const meta = await fileMetadata(fileUrl(settings.endpoint, repo, info.sha, path), path, settings);
    if (meta.commit && meta.commit !== info.sha) {
      throw new HubError(`${path}: the Hub served commit ${meta.commit} for ${info.sha}; try again`);
    }
    await downloadBlob(cache, meta, settings, progress);
    await cache.linkSnapshotFile(info.sha, path, meta.etag);
  }
  await cache.writeRef(revision, info.sha);
  return { repo, commit: info.sha, dir: cache.snapshotDir(info.sha), files };
}

/** The snapshot the cache has for `revision` (offline mode), or an error that says how to get it. */
async function cachedSnapshot(
  cache: RepoCache,
  revision: string,
  include: readonly string[] | undefined,
): Promise<Snapshot> {
  const commit = await cache.readRef(revision);
  const missing = (what: string) =>
    new HubError(
      `HF_HUB_OFFLINE is set and ${describeRepo(cache.repo)} at ${revision} ${what} in the cache ` +
        `(${cache.root}); unset HF_HUB_OFFLINE and fetch it once, or point HF_HOME / HF_HUB_CACHE at a cache ` +
        `that has it`,
    );
  if (!commit) throw missing("is not");
  const dir = cache.snapshotDir(commit);
  const files = (await listFiles(dir)).filter((path) => matchesAny(path, include)).sort();
  if (files.length === 0) throw missing(`has no file matching ${JSON.stringify(include ?? ["*"])}`);
  return { repo: cache.repo, commit, dir, files };
}

/** Every file under `dir` (following the snapshot's links), as paths relative to it. */
async function listFiles(dir: string, root = dir): Promise<string[]> {
  const found: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) found.push(...await listFiles(path, root));
      else found.push(relative(root, path));
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return found;
}

/** Puts a snapshot's files into `dir` as plain files (hard links to the blobs, or copies). */
export async function materializeSnapshot(snapshot: Snapshot, dir: string): Promise<string[]> {
  const written: string[] = [];
  for (const path of snapshot.files) {
    const target = join(dir, path);
    await materialize(join(snapshot.dir, path), target);
    written.push(target);
  }
  return written;
}
