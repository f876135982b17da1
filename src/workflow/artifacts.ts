/**
 * Step outputs on disk: where they live in a run directory, their digests, their manifest, and reuse of a
 * finished step's outputs by a later run (hard links, so nothing is copied).
 *
 * Layout: `<runs-dir>/<run-id>/steps/<step-id>/{out/<name>.jsonl | out/<name>/, work/, checkpoints/,
 * manifest.json}` and `<runs-dir>/<run-id>/logs/<step-id>.log`; an instance of a matrix step, `base[seed=1]`,
 * uses the name `base@seed=1` for both.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { stepDirName } from "./matrix.ts";
import type { ArtifactRef, OutputSpec } from "./step.ts";

/** Paths of one step inside a run directory. */
export class StepPaths {
  /** The step's directory. */
  readonly root: string;
  /** Creates the paths of `stepId` (a step or instance id: `base[seed=1]` lives in `base@seed=1`) in `runDir`. */
  constructor(readonly runDir: string, readonly stepId: string) {
    this.root = `${runDir}/steps/${stepDirName(stepId)}`;
  }
  /** Where an output lives: a `.jsonl` file for records, a directory otherwise. */
  output(name: string, spec: OutputSpec): string {
    return spec.kind === "records" ? `${this.root}/out/${name}.jsonl` : `${this.root}/out/${name}`;
  }
  /** The step's private working directory. */
  get work(): string {
    return `${this.root}/work`;
  }
  /** The checkpoint directory for `index`. */
  checkpoint(index: number): string {
    return `${this.root}/checkpoints/${String(index).padStart(8, "0")}`;
  }
  /** The step's manifest. */
  get manifest(): string {
    return `${this.root}/manifest.json`;
  }
  /** The step's log file. */
  get log(): string {
    return `${this.runDir}/logs/${stepDirName(this.stepId)}.log`;
  }
}

/** The sha256 of a file, streamed. */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path);
  const buffer = new Uint8Array(1 << 20);
  while (true) {
    const n = await file.read(buffer);
    if (n === null) break;
    hash.update(buffer.subarray(0, n));
  }
  return hash.digest("hex");
}

/** Every file below a directory, as sorted relative paths. */
export async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(`${dir}/${prefix}`)) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory) names.push(...await listFiles(dir, rel));
    else if (entry.isFile) names.push(rel);
  }
  return names.sort();
}

async function countLines(path: string): Promise<number> {
  using file = await Deno.open(path);
  const buffer = new Uint8Array(1 << 20);
  let count = 0;
  while (true) {
    const n = await file.read(buffer);
    if (n === null) break;
    for (let i = 0; i < n; i++) if (buffer[i] === 10) count++;
  }
  return count;
}

/** Builds the reference to a finished output, checking that the step produced it. */
export async function describeOutput(
  paths: StepPaths,
  name: string,
  spec: OutputSpec,
): Promise<ArtifactRef> {
  const path = paths.output(name, spec);
  const stat = await Deno.stat(path).catch(() => undefined);
  const expected = spec.kind === "records" ? stat?.isFile : stat?.isDirectory;
  if (!expected) {
    throw new Error(
      `step '${paths.stepId}' finished without writing its ${spec.kind} output '${name}' (${path}); ` +
        `its step kind must write every declared output (ctx.${
          spec.kind === "records" ? "records" : "dir"
        }("${name}"))`,
    );
  }
  if (spec.kind === "records") {
    return {
      artifact: true,
      step: paths.stepId,
      output: name,
      path,
      kind: "records",
      sha256: await fileSha256(path),
      count: await countLines(path),
    };
  }
  const files = await listFiles(path);
  const digests = [];
  for (const file of files) digests.push({ path: file, sha256: await fileSha256(`${path}/${file}`) });
  return {
    artifact: true,
    step: paths.stepId,
    output: name,
    path,
    kind: "dir",
    sha256: treeDigest(digests),
    count: files.length,
  };
}

/**
 * The digest of a directory: the sha256 of its files' relative paths, sorted, each with its sha256. The same
 * content gives the same digest wherever the directory lives.
 */
export function treeDigest(files: readonly { path: string; sha256: string }[]): string {
  const hash = createHash("sha256");
  const sorted = [...files].sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  for (const file of sorted) hash.update(`${file.path}\0${file.sha256}\n`);
  return hash.digest("hex");
}

/** Stable JSON (sorted keys), so equal values hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) =>
      a < b ? -1 : 1
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * A step's cache key: the kind's name and (code) version, its resolved parameters, where each input artifact
 * counts by its digest (not its path) and, for an instance of a matrix step, its axis values, so the same
 * inputs in another run give the same key, and the content digests of the files and directories its path
 * parameters name (see fingerprints.ts).
 */
export function cacheKey(
  kind: string,
  version: string,
  params: unknown,
  files: Record<string, string> = {},
): string {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (value !== null && typeof value === "object") {
      const ref = value as ArtifactRef;
      if (ref.artifact === true) return { sha256: ref.sha256, matrix: ref.matrix };
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strip(v)]));
    }
    return value;
  };
  return createHash("sha256").update(canonicalJson({ kind, version, params: strip(params), files }))
    .digest("hex");
}

/** Hard-links (or copies, across file systems) a file or directory tree. */
export async function linkTree(from: string, to: string): Promise<void> {
  const stat = await Deno.stat(from);
  if (stat.isFile) {
    await Deno.link(from, to).catch(() => Deno.copyFile(from, to));
    return;
  }
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    await linkTree(`${from}/${entry.name}`, `${to}/${entry.name}`);
  }
}

/** Writes a step's manifest: its kind, version, cache key and outputs with their digests. */
export async function writeManifest(
  paths: StepPaths,
  manifest: { kind: string; version: string; cacheKey: string; outputs: Record<string, ArtifactRef> },
): Promise<void> {
  const relative = Object.fromEntries(
    Object.entries(manifest.outputs).map((
      [name, ref],
    ) => [name, { ...ref, path: ref.path.slice(paths.root.length + 1) }]),
  );
  const text = JSON.stringify({ step: paths.stepId, ...manifest, outputs: relative }, null, 2) + "\n";
  await Deno.writeTextFile(`${paths.manifest}.tmp`, text);
  await Deno.rename(`${paths.manifest}.tmp`, paths.manifest);
}
