/**
 * Downloading one file of a repository into the cache: its metadata from a `HEAD` of the resolve URL (the
 * commit, the ETag, which is the sha256 of an LFS file or the git blob sha1 of a small one, and the size),
 * then the bytes into `blobs/<etag>.incomplete`, resumed with an HTTP `Range` from what is already there
 * (after a dropped connection, or a killed process), checked against the ETag, and renamed to the blob.
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import { removeIfPresent, type RepoCache } from "./cache.ts";
import { describeFailure, HubError, hubFetch } from "./http.ts";
import type { DownloadProgress } from "./progress.ts";
import type { HubSettings } from "./settings.ts";
import { exists, writeAll } from "../util/fs.ts";

/** What the Hub says about one file before it is downloaded. */
export interface FileMetadata {
  /** The file's path in the repository. */
  path: string;
  /** The commit the revision resolved to (`X-Repo-Commit`). */
  commit?: string;
  /** The blob name: the sha256 (LFS) or git blob sha1 of the contents. */
  etag: string;
  /** The size in bytes, when the Hub says. */
  size?: number;
  /** Where the bytes come from (the CDN for LFS files). */
  location: string;
}

/** How many times a dropped download is resumed before giving up. */
const RESUME_ATTEMPTS = 5;

function normalizeEtag(value: string | null): string | undefined {
  return value?.replace(/^W\//, "").replace(/^"|"$/g, "") || undefined;
}

function sizeOf(value: string | null): number | undefined {
  return value !== null && /^\d+$/.test(value) ? Number(value) : undefined;
}

/**
 * Reads a file's metadata with `HEAD`, without following the redirect to the CDN (its headers carry the
 * LFS file's sha256 and size as `X-Linked-Etag` and `X-Linked-Size`); a relative redirect (a renamed
 * repository) is followed.
 */
export async function fileMetadata(url: string, path: string, settings: HubSettings): Promise<FileMetadata> {
  let current = url;
  for (let hop = 0; hop < 5; hop++) {
    const response = await hubFetch(current, settings, {
      method: "HEAD",
      redirect: "manual",
      headers: { "Accept-Encoding": "identity" },
    });
    await response.body?.cancel();
    const location = response.headers.get("location");
    const linkedEtag = normalizeEtag(response.headers.get("x-linked-etag"));
    if (
      response.status >= 300 && response.status < 400 && location && !linkedEtag && location.startsWith("/")
    ) {
      current = new URL(location, current).href;
      continue;
    }
    if (!response.ok && !(response.status >= 300 && response.status < 400)) {
      throw new HubError(describeFailure(response, `${path} (${url})`, settings), response.status);
    }
    const etag = linkedEtag ?? normalizeEtag(response.headers.get("etag"));
    if (!etag || !/^[A-Za-z0-9._-]+$/.test(etag)) {
      throw new HubError(`${url}: the server sent no usable ETag, so the file cannot be checked or cached`);
    }
    return {
      path,
      commit: response.headers.get("x-repo-commit") ?? undefined,
      etag,
      size: sizeOf(response.headers.get("x-linked-size")) ?? sizeOf(response.headers.get("content-length")),
      location: location ? new URL(location, current).href : current,
    };
  }
  throw new HubError(`${url}: too many redirects`);
}

/** The digest an ETag stands for: sha256 (64 hex digits) or a git blob sha1 (40); undefined otherwise. */
function digestFor(etag: string, size: number | undefined): { hash: Hash; kind: string } | undefined {
  if (/^[0-9a-f]{64}$/.test(etag)) return { hash: createHash("sha256"), kind: "sha256" };
  if (/^[0-9a-f]{40}$/.test(etag) && size !== undefined) {
    return { hash: createHash("sha1").update(`blob ${size}\0`), kind: "git blob sha1" };
  }
  return undefined;
}

async function hashExisting(file: Deno.FsFile, hash: Hash | undefined): Promise<void> {
  if (!hash) return;
  await file.seek(0, Deno.SeekMode.Start);
  const buffer = new Uint8Array(1 << 20);
  for (let read = await file.read(buffer); read !== null; read = await file.read(buffer)) {
    hash.update(buffer.subarray(0, read));
  }
}

/** Sends the bytes from `offset` on; the token goes only to the Hub's own host. */
function requestBytes(meta: FileMetadata, offset: number, settings: HubSettings): Promise<Response> {
  const sameHost = new URL(meta.location).host === new URL(settings.endpoint).host;
  const headers: Record<string, string> = { "Accept-Encoding": "identity" };
  if (offset > 0) headers.Range = `bytes=${offset}-`;
  return hubFetch(meta.location, sameHost ? settings : { ...settings, token: undefined }, { headers });
}

/** Appends one response body to the file; returns the new length (a dropped connection throws). */
async function appendBody(
  file: Deno.FsFile,
  body: ReadableStream<Uint8Array>,
  offset: number,
  hash: Hash | undefined,
  progress: DownloadProgress,
): Promise<number> {
  let done = offset;
  for await (const chunk of body) {
    await writeAll(file, chunk);
    hash?.update(chunk);
    done += chunk.byteLength;
    progress.advance(done);
  }
  return done;
}

/**
 * Downloads a file into the cache's blob `meta.etag` (nothing when it is there) and returns the blob's path.
 * A mismatch with the ETag removes the partial file and throws.
 */
export async function downloadBlob(
  cache: RepoCache,
  meta: FileMetadata,
  settings: HubSettings,
  progress: DownloadProgress,
): Promise<string> {
  const blob = cache.blobPath(meta.etag);
  if (await exists(blob)) return blob;
  const partial = cache.incompletePath(meta.etag);
  await Deno.mkdir(partial.replace(/\/[^/]+$/, ""), { recursive: true });
  using file = await Deno.open(partial, { read: true, write: true, create: true });
  await file.lock(true);
  let offset = (await file.stat()).size;
  if (meta.size !== undefined && offset > meta.size) offset = 0;
  let digest = digestFor(meta.etag, meta.size);
  if (offset > 0) await hashExisting(file, digest?.hash);
  progress.start(meta.path, meta.size, offset);
  for (let attempt = 1; meta.size === undefined || offset < meta.size; attempt++) {
    const response = await requestBytes(meta, offset, settings);
    if (response.status === 200 && offset > 0) {
      offset = 0; // the server ignored the Range: start over
      digest = digestFor(meta.etag, meta.size);
    }
    if (response.status !== 200 && response.status !== 206) {
      await response.body?.cancel();
      throw new HubError(
        describeFailure(response, `${meta.path} (${meta.location})`, settings),
        response.status,
      );
    }
    await file.truncate(offset);
    await file.seek(offset, Deno.SeekMode.Start);
    try {
      offset = await appendBody(file, response.body!, offset, digest?.hash, progress);
      if (meta.size === undefined) break;
    } catch (error) {
      offset = (await file.stat()).size;
      if (attempt >= RESUME_ATTEMPTS) {
        throw new HubError(
          `${meta.path}: the download broke ${attempt} times (${(error as Error).message}); ` +
            `run the command again to resume from ${offset} bytes`,
        );
      }
    }
  }
  await file.syncData();
  await verify(file, meta, digest, partial);
  await Deno.rename(partial, blob);
  progress.finish();
  return blob;
}

async function verify(
  file: Deno.FsFile,
  meta: FileMetadata,
  digest: { hash: Hash; kind: string } | undefined,
  partial: string,
): Promise<void> {
  const size = (await file.stat()).size;
  const actual = digest?.hash.digest("hex");
  if ((meta.size === undefined || size === meta.size) && (actual === undefined || actual === meta.etag)) {
    return;
  }
  await removeIfPresent(partial);
  const problem = size !== meta.size
    ? `${size} bytes instead of ${meta.size}`
    : `${digest!.kind} ${actual} instead of ${meta.etag}`;
  throw new HubError(
    `${meta.path}: checksum mismatch (${problem}); the download was removed and nothing was cached. ` +
      `Run the command again; if it repeats, the server at HF_ENDPOINT serves a different file`,
  );
}
