/**
 * The contract between the workflow engine and a step kind.
 *
 * A step kind is a named, versioned unit of work whose parameters (`with:` in YAML) are checked by a zod
 * schema. The engine gives it a {@link StepContext}: its validated parameters, readers for the artifacts it
 * consumes, writers for the artifacts it produces, and durable helpers for item-by-item work and
 * checkpoints, so that a killed run resumes without losing or repeating committed work.
 *
 * @module
 */
import { z } from "zod";
import { readJsonlLines } from "../data/jsonl.ts";

/** The axis values of an instance of a matrix step, for example `{ seed: 1 }`. */
export const MatrixValues = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));
/** The axis values of an instance of a matrix step. */
export type MatrixValues = z.infer<typeof MatrixValues>;

/** A reference to an artifact produced by an earlier step, as resolved from `${{ steps.ID.outputs.NAME }}`. */
export const ArtifactRef = z.object({
  /** Marker so a reference can be told from a plain object in `with`. */
  artifact: z.literal(true),
  /** The producing step's id. */
  step: z.string(),
  /** The output's name. */
  output: z.string(),
  /** Absolute path: a `.jsonl` file for records, a directory for files (for example a model checkpoint). */
  path: z.string(),
  /** `records` (JSONL) or `dir`. */
  kind: z.enum(["records", "dir"]),
  /** sha256 of the content (for a dir: of its sorted file list with each file's sha256). */
  sha256: z.string(),
  /** Number of records (records artifacts) or files (dir artifacts). */
  count: z.number().int(),
  /** Set when the producer is an instance of a matrix step: its axis values (see `matrix.ts`). */
  matrix: MatrixValues.optional(),
});
/** A reference to an artifact produced by an earlier step. */
export type ArtifactRef = z.infer<typeof ArtifactRef>;

/**
 * The parameters that name files or directories a step reads: the engine hashes their content into the
 * step's cache key (see inputs.ts). Use {@link PathParam} as it is (wrapping it in `.optional()`,
 * `.default()` or a union keeps it registered; refining it with `.min()` and the like makes a new schema).
 */
export const pathParams = z.registry<{ description: string }>();

/**
 * A file or directory path parameter (relative paths are from the current directory). Its content, not
 * just its name, is part of the step's cache key, so editing the file re-runs the step.
 *
 * ```ts
 * const Params = z.strictObject({ path: PathParam, tokenizer: PathParam.optional() });
 * ```
 */
export const PathParam = z.string().min(1).register(pathParams, { description: "a file or directory" });

/** Declares an output of a step kind. */
export interface OutputSpec {
  /** `records`: a JSONL file of records. `dir`: a directory the step fills with files. */
  kind: "records" | "dir";
  /** One line for `pipeline validate` and the docs. */
  description?: string;
}

/** A sink for the records of a `records` output, written in order. */
export interface RecordWriter {
  /** Appends one record (serialised as one JSON line). */
  write(record: unknown): Promise<void>;
  /** Appends many records. */
  writeAll(records: Iterable<unknown>): Promise<void>;
}

/** Options for {@link StepContext.forEachItem}. */
export interface ItemLoop<I, R> {
  /** The `records` output the results are appended to, in item order. */
  output: string;
  /** The items to process; their order fixes the output order. */
  items: readonly I[];
  /** Items per commit. The engine fsyncs and commits after each batch (default 16). */
  batchSize?: number;
  /**
   * Processes one batch. `start` is the index of `batch[0]` in `items`; use it (not a running counter)
   * to derive per-item seeds so a resumed run produces the same results. Returns one or more result
   * records per item, flattened, in item order.
   */
  process(batch: readonly I[], start: number): Promise<readonly R[]>;
}

/** A checkpoint that a long-running step committed earlier. */
export interface StepCheckpoint<M> {
  /** Monotonic checkpoint number chosen by the step (for example the update index). */
  index: number;
  /** A directory holding the checkpoint's files. */
  dir: string;
  /** Small JSON metadata stored with it (data position, RNG state, ...). */
  meta: M;
}

/** What the engine gives a step kind while it runs. */
export interface StepContext<P> {
  /** The run's id. */
  readonly runId: string;
  /** This step's id in the workflow. */
  readonly stepId: string;
  /** Validated parameters (`with:`), with `${{ }}` references resolved. */
  readonly params: P;
  /** A private working directory for this step (kept across attempts and resumes). */
  readonly workDir: string;
  /** Aborted when the run is interrupted (SIGINT/SIGTERM) or the step times out. */
  readonly signal: AbortSignal;
  /** Writes a log line to the run's log for this step. */
  log(message: string): void;
  /** Reports progress for steps that do not use {@link forEachItem}. */
  progress(done: number, total?: number): void;
  /** Records a metric (for example a training reward) at an integer step. */
  metric(name: string, value: number, step?: number): void;
  /** Opens the writer of a `records` output (truncating it: use for outputs written in one go). */
  records(output: string): Promise<RecordWriter>;
  /** The directory of a `dir` output; the step writes its files there. */
  dir(output: string): Promise<string>;
  /**
   * Processes items in batches, committing each batch durably. After a crash or a failed attempt, items
   * already committed are skipped and their results are kept byte for byte.
   */
  forEachItem<I, R>(loop: ItemLoop<I, R>): Promise<void>;
  /** Commits a checkpoint: `write` fills a fresh directory, then the checkpoint becomes the latest. */
  saveCheckpoint<M>(index: number, meta: M, write: (dir: string) => Promise<void>): Promise<void>;
  /** The latest committed checkpoint, if any. */
  latestCheckpoint<M>(): Promise<StepCheckpoint<M> | undefined>;
}

/** A registered kind of step (`uses:` in YAML). */
export interface StepKind<S extends z.ZodType = z.ZodType> {
  /** The name used in `uses:`, for example `dataset.load`. */
  readonly name: string;
  /**
   * A manual version, part of the cache key with the kind's code: the engine also hashes {@link source} and
   * every local module it imports, so a code change invalidates cached results without a bump. Bump it when
   * results change for a reason the code does not show. Absent means "1".
   */
  readonly version?: string;
  /** The URL of the module that defines the kind: `import.meta.url`. */
  readonly source: string;
  /** One line for docs and `pipeline validate`. */
  readonly description: string;
  /** The schema of `with:`; references to artifacts are {@link ArtifactRef}s. */
  readonly params: S;
  /** The named outputs this kind produces. */
  readonly outputs: Readonly<Record<string, OutputSpec>>;
  /** True when each item must be processed exactly once across crashes (see {@link forEachItem}). */
  readonly exactlyOnce?: boolean;
  /**
   * True when the kind's work is one {@link StepContext.forEachItem} loop whose results depend only on each
   * item and its index (per-item seeds from the index), so that the items can be split into contiguous
   * shards run by separate processes (`executor: slurm`) and merged in item order, byte-identical to one
   * process. Work before the loop runs in every shard. A kind with outputs besides the loop's (say metrics
   * computed from its records) is run once more in the pipeline's process after the merge, where its loop
   * finds every item committed and only the work after it runs; a kind with only the loop's output is not.
   */
  readonly shardable?: boolean;
  /** Does the work. Throwing fails the attempt; the engine retries per the step's `retry`. */
  run(ctx: StepContext<z.infer<S>>): Promise<void>;
}

/** Helper that keeps a step kind's parameter type tied to its schema. */
export function defineStep<S extends z.ZodType>(kind: StepKind<S>): StepKind<S> {
  return kind;
}

/** Reads every record of a `records` artifact. */
export async function readRecords<T = unknown>(ref: ArtifactRef): Promise<T[]> {
  return (await readJsonlLines(ref.path)).map((entry) => entry.value as T);
}
