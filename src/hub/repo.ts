/**
 * Hub repositories: ids, revisions and the Hub's URL scheme.
 *
 * - info: `{endpoint}/api/models/{repo}/revision/{rev}` (`/api/datasets/...` for datasets): the commit a
 *   revision points at and the repository's files;
 * - a file: `{endpoint}/{repo}/resolve/{rev}/{path}` (`{endpoint}/datasets/{repo}/resolve/...`).
 *
 * @example
 * ```ts
 * import { fileUrl, parseRepo } from "./repo.ts";
 * const repo = parseRepo("Qwen/Qwen2.5-0.5B-Instruct", "model");
 * fileUrl("https://huggingface.co", repo, "main", "config.json");
 * // "https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct/resolve/main/config.json"
 * ```
 *
 * @module
 */

/** The kinds of repository this project downloads. */
export type RepoType = "model" | "dataset";

/** A repository on the Hub. */
export interface Repo {
  type: RepoType;
  /** `org/name` (or a bare `name`, as some old repositories are). */
  id: string;
}

/** A bad repository id or revision: the message says which and what is allowed. */
export class RepoIdError extends Error {
  override name = "RepoIdError";
}

const ID_PART = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;

/** Checks `id` (`org/name`) and returns the repository. */
export function parseRepo(id: string, type: RepoType): Repo {
  const parts = id.split("/");
  if (parts.length > 2 || !parts.every((part) => ID_PART.test(part) && !part.includes(".."))) {
    throw new RepoIdError(
      `'${id}' is not a Hub repository id (expected org/name: letters, digits, '.', '_' and '-')`,
    );
  }
  return { type, id };
}

/** Checks a revision: a branch, tag or commit (letters, digits, `.`, `_`, `-`, `/`), without `..`. */
export function checkRevision(revision: string): string {
  if (!/^[A-Za-z0-9._-][A-Za-z0-9._/-]*$/.test(revision) || revision.includes("..")) {
    throw new RepoIdError(`'${revision}' is not a revision (a branch, tag or commit hash)`);
  }
  return revision;
}

/** Whether `revision` is a full commit hash. */
export function isCommitHash(revision: string): boolean {
  return /^[0-9a-f]{40}$/.test(revision);
}

/** `model` → `models`, `dataset` → `datasets` (the API's and the cache's plural). */
function plural(type: RepoType): string {
  return `${type}s`;
}

function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

/** The info route of a repository at a revision. */
export function infoUrl(endpoint: string, repo: Repo, revision: string): string {
  return `${endpoint}/api/${plural(repo.type)}/${repo.id}/revision/${encodeURIComponent(revision)}`;
}

/** The download route of one file at a revision. */
export function fileUrl(endpoint: string, repo: Repo, revision: string, path: string): string {
  const prefix = repo.type === "dataset" ? "datasets/" : "";
  return `${endpoint}/${prefix}${repo.id}/resolve/${encodeURIComponent(revision)}/${encodePath(path)}`;
}

/** The repository's folder in the cache: `models--org--name` or `datasets--org--name`. */
export function cacheFolderName(repo: Repo): string {
  return [plural(repo.type), ...repo.id.split("/")].join("--");
}

/** How a repository is named in messages: `org/name` or `dataset org/name`. */
export function describeRepo(repo: Repo): string {
  return repo.type === "dataset" ? `dataset ${repo.id}` : repo.id;
}
