/**
 * A stand-in for the Hugging Face Hub on 127.0.0.1 (an ephemeral port) for tests: it serves repositories'
 * files under the Hub's URL scheme (the info route, `resolve` with `HEAD` and `GET`, `Range`), answers LFS
 * files with a redirect to a "CDN" on a second port carrying `X-Linked-Etag` and `X-Linked-Size`, and can
 * require a token, cut a download short once, or serve corrupted bytes.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** One request the fake Hub saw. */
export interface SeenRequest {
  method: string;
  /** Which server: the Hub or the CDN. */
  server: "hub" | "cdn";
  path: string;
  range: string | null;
  authorization: string | null;
}

interface FakeRepo {
  commit: string;
  files: Map<string, Uint8Array<ArrayBuffer>>;
  token?: string;
}

/** Options of {@link FakeHub.addRepo}. */
export interface FakeRepoOptions {
  /** Only requests with `Authorization: Bearer <token>` may read the repository. */
  token?: string;
  /** Which files are stored in LFS (default: `.safetensors`, `.parquet`, `.onnx` and `.onnx_data`). */
  lfs?: (path: string) => boolean;
}

const LFS_DEFAULT = (path: string) => /\.(safetensors|parquet|onnx|onnx_data)$/.test(path);

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The git blob id of `bytes`, which the Hub sends as the ETag of a file kept in git. */
export function gitBlobSha1(bytes: Uint8Array): string {
  return createHash("sha1").update(`blob ${bytes.byteLength}\0`).update(bytes).digest("hex");
}

function partOf(
  bytes: Uint8Array<ArrayBuffer>,
  range: string | null,
): { body: Uint8Array<ArrayBuffer>; status: number; headers: Headers } {
  const headers = new Headers({ "Accept-Ranges": "bytes" });
  const match = range ? /^bytes=(\d+)-$/.exec(range) : null;
  if (!match) {
    headers.set("Content-Length", String(bytes.byteLength));
    return { body: bytes, status: 200, headers };
  }
  const start = Number(match[1]);
  headers.set("Content-Range", `bytes ${start}-${bytes.byteLength - 1}/${bytes.byteLength}`);
  headers.set("Content-Length", String(bytes.byteLength - start));
  return { body: bytes.subarray(start), status: 206, headers };
}

/** A body that sends `keep` bytes and then ends, short of its Content-Length (the client sees a broken body). */
function brokenBody(bytes: Uint8Array, keep: number): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes.slice(0, keep));
    },
    pull(controller) {
      controller.close();
    },
  });
}

/** The fake Hub. Start it with {@link FakeHub.start}; close it when done. */
export class FakeHub {
  /** Every request, in order. */
  readonly requests: SeenRequest[] = [];
  private readonly repos = new Map<string, FakeRepo>();
  private readonly blobs = new Map<string, Uint8Array<ArrayBuffer>>();
  private readonly lfsRules = new Map<string, (path: string) => boolean>();
  private readonly cuts = new Map<string, number>();
  private readonly corrupted = new Set<string>();
  private hub!: Deno.HttpServer<Deno.NetAddr>;
  private cdn!: Deno.HttpServer<Deno.NetAddr>;

  private constructor() {}

  /** Starts the Hub and its CDN on two ephemeral loopback ports. */
  static start(): FakeHub {
    const fake = new FakeHub();
    const options = { hostname: "127.0.0.1", port: 0, onListen: () => {} };
    fake.hub = Deno.serve(options, (request) => fake.serveHub(request));
    fake.cdn = Deno.serve(options, (request) => fake.serveCdn(request));
    return fake;
  }

  /** The Hub's URL, for `HF_ENDPOINT`. */
  get url(): string {
    return `http://127.0.0.1:${this.hub.addr.port}`;
  }

  private get cdnUrl(): string {
    return `http://127.0.0.1:${this.cdn.addr.port}`;
  }

  /** Adds a repository (`type` "model" or "dataset") with its files; returns its commit hash. */
  addRepo(
    type: "model" | "dataset",
    id: string,
    files: Record<string, Uint8Array<ArrayBuffer> | string>,
    options: FakeRepoOptions = {},
  ): string {
    const encoded = new Map(
      Object.entries(files).map((
        [path, data],
      ) => [path, typeof data === "string" ? new TextEncoder().encode(data) : data]),
    );
    const commit = createHash("sha1").update(`${type}:${id}:${[...encoded.keys()].join(",")}`).update(
      [...encoded.values()].map(sha256).join(","),
    ).digest("hex");
    this.repos.set(`${type}s/${id}`, { commit, files: encoded, token: options.token });
    this.lfsRules.set(`${type}s/${id}`, options.lfs ?? LFS_DEFAULT);
    for (const bytes of encoded.values()) this.blobs.set(sha256(bytes), bytes);
    return commit;
  }

  /** The next download of `path` (any repository) sends `keep` bytes and then breaks. */
  cutOnce(path: string, keep: number): void {
    this.cuts.set(path, keep);
  }

  /** Downloads of `path` get one byte changed (the ETag stays that of the real contents). */
  corrupt(path: string): void {
    this.corrupted.add(path);
  }

  /** Stops both servers. */
  async close(): Promise<void> {
    await Promise.all([this.hub.shutdown(), this.cdn.shutdown()]);
  }

  private record(request: Request, server: "hub" | "cdn"): URL {
    const url = new URL(request.url);
    this.requests.push({
      method: request.method,
      server,
      path: decodeURIComponent(url.pathname),
      range: request.headers.get("range"),
      authorization: request.headers.get("authorization"),
    });
    return url;
  }

  private denied(repo: FakeRepo, request: Request): Response | undefined {
    if (!repo.token || request.headers.get("authorization") === `Bearer ${repo.token}`) return undefined;
    return new Response("Invalid credentials", { status: 401, headers: { "X-Error-Code": "RepoNotFound" } });
  }

  private serveHub(request: Request): Response {
    const path = decodeURIComponent(this.record(request, "hub").pathname);
    const info = /^\/api\/(models|datasets)\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(path);
    if (info) return this.info(`${info[1]}/${info[2]}`, info[3], request);
    const resolve = /^\/(datasets\/)?([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (resolve) {
      return this.resolve(
        `${resolve[1] ? "datasets" : "models"}/${resolve[2]}`,
        resolve[3],
        resolve[4],
        request,
      );
    }
    return new Response("no such route", { status: 404 });
  }

  private repoAt(key: string, revision: string, request: Request): FakeRepo | Response {
    const repo = this.repos.get(key);
    if (!repo) {
      return new Response("Repository not found", {
        status: 404,
        headers: { "X-Error-Code": "RepoNotFound" },
      });
    }
    const denied = this.denied(repo, request);
    if (denied) return denied;
    if (revision !== "main" && revision !== repo.commit) {
      return new Response("Revision not found", {
        status: 404,
        headers: { "X-Error-Code": "RevisionNotFound" },
      });
    }
    return repo;
  }

  private info(key: string, revision: string, request: Request): Response {
    const repo = this.repoAt(key, revision, request);
    if (repo instanceof Response) return repo;
    const siblings = [...repo.files.keys()].map((rfilename) => ({ rfilename }));
    return Response.json({ id: key.split("/").slice(1).join("/"), sha: repo.commit, siblings });
  }

  private resolve(key: string, revision: string, path: string, request: Request): Response {
    const repo = this.repoAt(key, revision, request);
    if (repo instanceof Response) return repo;
    const bytes = repo.files.get(path);
    if (!bytes) {
      return new Response("Entry not found", { status: 404, headers: { "X-Error-Code": "EntryNotFound" } });
    }
    const headers = { "X-Repo-Commit": repo.commit };
    if (this.lfsRules.get(key)!(path)) {
      return new Response(null, {
        status: 302,
        headers: {
          ...headers,
          Location: `${this.cdnUrl}/blobs/${sha256(bytes)}?file=${encodeURIComponent(path)}`,
          "X-Linked-Etag": `"${sha256(bytes)}"`,
          "X-Linked-Size": String(bytes.byteLength),
          ETag: `"${gitBlobSha1(bytes)}"`,
        },
      });
    }
    return this.content(bytes, path, request, { ...headers, ETag: `"${gitBlobSha1(bytes)}"` });
  }

  private serveCdn(request: Request): Response {
    const url = this.record(request, "cdn");
    const bytes = this.blobs.get(url.pathname.replace(/^\/blobs\//, ""));
    if (!bytes) return new Response("no such blob", { status: 404 });
    return this.content(bytes, url.searchParams.get("file") ?? "", request, {});
  }

  private content(
    bytes: Uint8Array<ArrayBuffer>,
    path: string,
    request: Request,
    extra: Record<string, string>,
  ): Response {
    let served = bytes;
    if (this.corrupted.has(path)) {
      served = bytes.slice();
      served[served.length >> 1] ^= 0xff;
    }
    const part = partOf(served, request.headers.get("range"));
    for (const [name, value] of Object.entries(extra)) part.headers.set(name, value);
    if (request.method === "HEAD") return new Response(null, { status: part.status, headers: part.headers });
    const keep = this.cuts.get(path);
    if (keep !== undefined) {
      this.cuts.delete(path);
      return new Response(brokenBody(part.body, keep), { status: part.status, headers: part.headers });
    }
    return new Response(part.body, { status: part.status, headers: part.headers });
  }
}
