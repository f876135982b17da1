/**
 * A stand-in for the Hugging Face Hub on 127.0.0.1 (an ephemeral port) for tests: it serves repositories'
 * files under the Hub's URL scheme (the info route, `resolve` with `HEAD` and `GET`, `Range`), answers LFS
 * files with a redirect to a "CDN" on a second port carrying `X-Linked-Etag` and `X-Linked-Size`, and can
 * require a token, cut a download short once, or serve corrupted bytes.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { parquetWriteBuffer } from "hyparquet-writer";

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

type WriteOptions = Parameters<typeof parquetWriteBuffer>[0];
type SchemaElement = NonNullable<WriteOptions["schema"]>[number];

/** A parquet file of string columns (and `lists`: list-of-string columns; `ints`: INT32 columns). */
export function parquetFixture(
  rows: readonly Record<string, unknown>[],
  types: { ints?: readonly string[]; lists?: readonly string[] } = {},
): Uint8Array<ArrayBuffer> {
  const names = Object.keys(rows[0]);
  const schema: SchemaElement[] = [{ name: "root", num_children: names.length }];
  for (const name of names) {
    if (types.lists?.includes(name)) {
      schema.push(
        { name, repetition_type: "OPTIONAL", converted_type: "LIST", num_children: 1 },
        { name: "list", repetition_type: "REPEATED", num_children: 1 },
        { name: "element", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
      );
    } else if (types.ints?.includes(name)) {
      schema.push({ name, type: "INT32", repetition_type: "OPTIONAL" });
    } else {
      schema.push({ name, type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" });
    }
  }
  const columnData = names.map((name) => ({
    name,
    data: rows.map((row) => row[name]) as WriteOptions["columnData"][number]["data"],
  }));
  return new Uint8Array(parquetWriteBuffer({ columnData, schema }));
}

const HUMANEVAL_ROWS = [
  {
    task_id: "HumanEval/0",
    prompt: 'def add(a: int, b: int) -> int:\n    """ Add two numbers.\n    >>> add(2, 3)\n    5\n    """\n',
    canonical_solution: "    return a + b\n",
    test: "\n\ndef check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n",
    entry_point: "add",
  },
  {
    task_id: "HumanEval/1",
    prompt:
      'def shout(text: str) -> str:\n    """ Upper-case text and add "!".\n    >>> shout("hi")\n    \'HI!\'\n    """\n',
    canonical_solution: '    return text.upper() + "!"\n',
    test: '\n\ndef check(candidate):\n    assert candidate("hi") == "HI!"\n    assert candidate("") == "!"\n',
    entry_point: "shout",
  },
];

const MBPP_FULL: Record<string, Record<string, unknown>[]> = {
  train: [
    {
      task_id: 601,
      text: "Write a function to find the largest of three numbers.",
      code: "def max_of_three(a, b, c):\r\n  return max(a, b, c)",
      test_list: ["assert max_of_three(1, 5, 3) == 5", "assert max_of_three(-1, -5, -3) == -1"],
      test_setup_code: "",
      challenge_test_list: [],
    },
    {
      task_id: 602,
      text: "Write a python function to find the sum of the digits of a number.",
      code:
        "def _digits(n):\r\n  return [int(d) for d in str(n)]\r\ndef digit_sum(n):\r\n  return sum(_digits(n))",
      test_list: ["assert digit_sum(123) == 6", "assert digit_sum(9) == 9", "assert digit_sum(1000) == 1"],
      test_setup_code: "",
      challenge_test_list: ["assert digit_sum(99999) == 45"],
    },
  ],
  test: [{
    task_id: 11,
    text: "Write a function to compute the area of a circle, rounded to two decimals.",
    code: "import math\r\ndef circle_area(r):\r\n  return round(math.pi * r * r, 2)",
    test_list: ["assert math.isclose(circle_area(1), 3.14)", "assert circle_area(2) == 12.57"],
    test_setup_code: "import math",
    challenge_test_list: [],
  }],
  validation: [{
    task_id: 511,
    text: "Write a function to reverse a string.",
    code: "def reverse(s):\r\n  return s[::-1]",
    test_list: ['assert reverse("abc") == "cba"'],
    test_setup_code: "",
    challenge_test_list: [],
  }],
  prompt: [{
    task_id: 1,
    text: "Write a function to check whether a number is even.",
    code: "def is_even(n):\r\n  return n % 2 == 0",
    test_list: ["assert is_even(4)", "assert not is_even(3)"],
    test_setup_code: "",
    challenge_test_list: [],
  }],
};

const MATH_SUBJECT_NAMES = {
  algebra: "Algebra",
  counting_and_probability: "Counting & Probability",
  geometry: "Geometry",
  intermediate_algebra: "Intermediate Algebra",
  number_theory: "Number Theory",
  prealgebra: "Prealgebra",
  precalculus: "Precalculus",
};

const MATH500_LINES = [
  {
    problem: "What is $2+3$?",
    solution: "$2+3=\\boxed{5}$.",
    answer: "5",
    subject: "Prealgebra",
    level: 1,
    unique_id: "test/prealgebra/1.json",
  },
  {
    problem: "Simplify $\\frac{4}{6}$.",
    solution: "Divide by 2: $\\boxed{\\frac{2}{3}}$.",
    answer: "\\frac{2}{3}",
    subject: "Prealgebra",
    level: 2,
    unique_id: "test/prealgebra/2.json",
  },
];

/** What {@link addDatasetFixtures} served, to compare with what a fetch wrote. */
export const DATASET_FIXTURES = {
  humaneval: HUMANEVAL_ROWS,
  mbppFull: MBPP_FULL,
  mathSubjects: MATH_SUBJECT_NAMES,
  math500: MATH500_LINES,
};

/**
 * Adds small copies of the four datasets to a fake Hub under their real repository ids and file layouts
 * (parquet shards named as the Hub names them; MATH500 as JSONL), each with a README that is not fetched.
 */
export function addDatasetFixtures(hub: FakeHub): void {
  const mbpp = { ints: ["task_id"], lists: ["test_list", "challenge_test_list", "test_imports"] };
  hub.addRepo("dataset", "openai/openai_humaneval", {
    "README.md": "# HumanEval",
    "openai_humaneval/test-00000-of-00001.parquet": parquetFixture(HUMANEVAL_ROWS),
  });
  const mbppFiles: Record<string, Uint8Array<ArrayBuffer> | string> = { "README.md": "# MBPP" };
  for (const [split, rows] of Object.entries(MBPP_FULL)) {
    mbppFiles[`full/${split}-00000-of-00001.parquet`] = parquetFixture(rows, mbpp);
    const sanitized = rows.map((row) => ({
      source_file: "fixture.py",
      task_id: row.task_id,
      prompt: row.text,
      code: row.code,
      test_imports: row.test_setup_code ? [row.test_setup_code] : [],
      test_list: row.test_list,
    }));
    mbppFiles[`sanitized/${split}-00000-of-00001.parquet`] = parquetFixture(sanitized, mbpp);
  }
  hub.addRepo("dataset", "google-research-datasets/mbpp", mbppFiles);
  const mathFiles: Record<string, Uint8Array<ArrayBuffer> | string> = { "README.md": "# MATH" };
  for (const [subject, type] of Object.entries(MATH_SUBJECT_NAMES)) {
    for (const split of ["train", "test"]) {
      const rows = [1, 2].map((n) => ({
        problem: `${split} ${subject} problem ${n}: what is ${n}+${n}?`,
        level: `Level ${n}`,
        type,
        solution: `It is $\\boxed{${2 * n}}$.`,
      }));
      mathFiles[`${subject}/${split}-00000-of-00001.parquet`] = parquetFixture(rows);
    }
  }
  hub.addRepo("dataset", "EleutherAI/hendrycks_math", mathFiles);
  hub.addRepo("dataset", "HuggingFaceH4/MATH-500", {
    "README.md": "# MATH-500",
    "test.jsonl": MATH500_LINES.map((line) => JSON.stringify(line)).join("\n") + "\n",
  });
}
