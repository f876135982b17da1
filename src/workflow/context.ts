/**
 * The engine's implementation of {@link StepContext}: durable item loops, checkpoints, outputs, logs and
 * metrics for one attempt of one step.
 *
 * Item loops append results to the output file and commit in batches: write, fsync, then one SQLite
 * transaction records the new item count and byte offset. On the next attempt or resume the file is cut
 * back to the committed offset, so a crash anywhere loses at most the uncommitted tail and never leaves a
 * duplicate.
 *
 * @module
 */
import type { StepPaths } from "./artifacts.ts";
import { crashPoint } from "./faults.ts";
import { writeAll } from "../util/fs.ts";
import type { Reporter } from "./progress.ts";
import type { ItemLoop, OutputSpec, RecordWriter, StepCheckpoint, StepContext, StepKind } from "./step.ts";
import type { RunStore } from "./store.ts";
import { concatBytes } from "../util/bytes.ts";

/**
 * How often an item loop commits at most, unless a batch takes longer: 100 ms, or the value of the
 * environment variable `PIPELINE_COMMIT_INTERVAL_MS` (0 commits after every batch).
 */
export const COMMIT_INTERVAL_MS = Number(Deno.env.get("PIPELINE_COMMIT_INTERVAL_MS") ?? 100);
/** How many bytes of finished records an item loop holds before it commits regardless of time. */
export const COMMIT_MAX_BYTES = 16 << 20;

const encoder = new TextEncoder();

/** Serialises records as JSON lines. */
export function encodeRecords(records: Iterable<unknown>): Uint8Array {
  let text = "";
  for (const record of records) text += JSON.stringify(record) + "\n";
  return encoder.encode(text);
}

/** A committed position of an item loop, and where the commit started. */
export interface CommitPosition {
  from: number;
  items: number;
  bytes: number;
}

/**
 * Batches of encoded records on their way to disk. A flush hands the pending bytes to a background commit
 * (write, fsync, then `record` in the store) and returns once the previous commit is done, so the disk work
 * of one commit overlaps the computing of the next batches while commits stay in order, one at a time.
 */
class CommitPipeline {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private pendingTo: number;
  private scheduled: CommitPosition;
  private lastFlush = Date.now();
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly file: Deno.FsFile,
    start: { items: number; bytes: number },
    private readonly record: (position: CommitPosition) => void | Promise<void>,
  ) {
    this.pendingTo = start.items;
    this.scheduled = { from: start.items, items: start.items, bytes: start.bytes };
  }

  /** Adds the encoded results of the items before `upTo`. */
  add(chunk: Uint8Array, upTo: number): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    this.pendingTo = upTo;
  }

  /** Whether enough time has passed, or enough bytes are waiting, to commit. */
  due(intervalMs: number): boolean {
    return Date.now() - this.lastFlush >= intervalMs || this.pendingBytes >= COMMIT_MAX_BYTES;
  }

  /** Starts committing what is pending, after the commit in flight (whose failure this rethrows). */
  async flush(): Promise<void> {
    await this.inFlight;
    this.lastFlush = Date.now();
    if (this.pendingTo === this.scheduled.items) return;
    const chunks = this.pending;
    const position = {
      from: this.scheduled.items,
      items: this.pendingTo,
      bytes: this.scheduled.bytes + this.pendingBytes,
    };
    this.pending = [];
    this.pendingBytes = 0;
    this.scheduled = position;
    this.inFlight = this.commit(chunks, position);
  }

  /** Waits for the commit in flight. */
  settled(): Promise<void> {
    return this.inFlight;
  }

  private async commit(chunks: Uint8Array[], position: CommitPosition): Promise<void> {
    await writeAll(this.file, concatBytes(chunks)); // one write: a syscall per small chunk costs more
    await this.file.syncData();
    crashPoint("commit");
    await this.record(position);
  }
}

/**
 * Opens a records output for an item loop: created if missing, cut back to the committed `bytes` (dropping an
 * uncommitted tail left by a crash) and positioned at its end.
 */
export async function openOutputAt(path: string, bytes: number): Promise<Deno.FsFile> {
  const file = await Deno.open(path, { create: true, read: true, write: true });
  try {
    await file.truncate(bytes);
    await file.seek(bytes, Deno.SeekMode.Start);
    return file;
  } catch (error) {
    file.close();
    throw error;
  }
}

/** One run of the durable item protocol over `loop.items[start.items, end)`; see {@link runItemLoop}. */
export interface ItemLoopRun<I, R> {
  /** The output, opened by {@link openOutputAt} at `start.bytes`. */
  file: Deno.FsFile;
  loop: ItemLoop<I, R>;
  /** The committed position to continue from: an item index into `loop.items`, and the file's size. */
  start: { items: number; bytes: number };
  /** The index after the last item to process (`loop.items.length`, or a shard's end). */
  end: number;
  /** Commit at most this often (unless a batch takes longer). */
  intervalMs: number;
  signal: AbortSignal;
  /** Records a commit once its bytes are on disk (in the run store, or in a shard's commit file). */
  onCommit(position: CommitPosition): void | Promise<void>;
}

/**
 * The durable item protocol, shared by a step in the pipeline's process and by a shard on a cluster node:
 * processes batches from `start.items` to `end`, appends their records, and commits (write, fsync, then
 * `onCommit`) at most every `intervalMs`. Whatever finished before a failure or an interrupt is committed.
 *
 * @example
 * ```ts ignore
 * const file = await openOutputAt(path, committed.bytes);
 * await runItemLoop({ file, loop, start: committed, end: loop.items.length, intervalMs: 100, signal,
 *   onCommit: (position) => save(position) });
 * ```
 */
export async function runItemLoop<I, R>(run: ItemLoopRun<I, R>): Promise<void> {
  const batchSize = Math.max(1, run.loop.batchSize ?? 16);
  const commits = new CommitPipeline(run.file, run.start, run.onCommit);
  try {
    for (let start = run.start.items; start < run.end; start += batchSize) {
      run.signal.throwIfAborted();
      const batch = run.loop.items.slice(start, Math.min(start + batchSize, run.end));
      commits.add(encodeRecords(await run.loop.process(batch, start)), start + batch.length);
      if (commits.due(run.intervalMs)) await commits.flush();
    }
  } finally {
    // Whatever finished before a failure or an interrupt is kept: the next attempt starts after it.
    await commits.flush();
    await commits.settled();
  }
}

/** Everything a {@link StepRun} needs from the engine. */
export interface StepRunOptions<P> {
  runId: string;
  stepId: string;
  kind: StepKind;
  params: P;
  paths: StepPaths;
  store: RunStore;
  reporter: Reporter;
  signal: AbortSignal;
  /** Overrides {@link COMMIT_INTERVAL_MS} (benchmarks and tests). */
  commitIntervalMs?: number;
}

/** One attempt of one step. Call {@link close} when the attempt ends. */
export class StepRun<P> implements StepContext<P> {
  readonly runId: string;
  readonly stepId: string;
  readonly params: P;
  readonly workDir: string;
  readonly signal: AbortSignal;
  private readonly open: Deno.FsFile[] = [];
  private logFile?: Deno.FsFile;
  private metricBuffer: { name: string; step: number; value: number }[] = [];
  private metricStep = 0;
  private closed = false;

  /** Prepares an attempt; directories are created by {@link prepare}. */
  constructor(private readonly options: StepRunOptions<P>) {
    this.runId = options.runId;
    this.stepId = options.stepId;
    this.params = options.params;
    this.workDir = options.paths.work;
    this.signal = options.signal;
  }

  /** Creates the step's directories. */
  async prepare(): Promise<void> {
    const { paths } = this.options;
    for (const dir of [paths.work, `${paths.root}/out`, `${paths.runDir}/logs`]) {
      await Deno.mkdir(dir, { recursive: true });
    }
    this.logFile = await Deno.open(paths.log, { create: true, append: true });
  }

  private outputSpec(output: string): OutputSpec {
    const spec = this.options.kind.outputs[output];
    if (!spec) {
      throw new Error(
        `step kind '${this.options.kind.name}' has no output '${output}' (declared: ${
          Object.keys(this.options.kind.outputs).join(", ")
        })`,
      );
    }
    return spec;
  }

  private recordsPath(output: string): string {
    const spec = this.outputSpec(output);
    if (spec.kind !== "records") {
      throw new Error(`output '${output}' of '${this.options.kind.name}' is a dir, not records`);
    }
    return this.options.paths.output(output, spec);
  }

  log(message: string): void {
    const line = `${new Date().toISOString()} ${message}\n`;
    this.logFile?.writeSync(encoder.encode(line));
    this.options.reporter.log(this.stepId, message);
  }

  progress(done: number, total?: number): void {
    this.options.store.updateStep(this.runId, this.stepId, { items_done: done, items_total: total ?? null });
    this.options.store.addEvent(this.runId, this.stepId, "progress", { done, total });
    this.options.reporter.progress(this.stepId, done, total);
  }

  metric(name: string, value: number, step?: number): void {
    const at = step ?? this.metricStep++;
    this.metricBuffer.push({ name, step: at, value });
    if (this.metricBuffer.length >= 64) this.flushMetrics();
  }

  /** Writes buffered metrics to the store, with one event for live viewers. */
  flushMetrics(): void {
    if (this.metricBuffer.length === 0) return;
    const points = this.metricBuffer;
    this.metricBuffer = [];
    this.options.store.addMetrics(points.map((p) => ({ run_id: this.runId, step_id: this.stepId, ...p })));
    this.options.store.addEvent(this.runId, this.stepId, "metrics", { points });
  }

  async records(output: string): Promise<RecordWriter> {
    const file = await Deno.open(this.recordsPath(output), { create: true, write: true, truncate: true });
    this.open.push(file);
    return {
      write: (record) => writeAll(file, encodeRecords([record])),
      writeAll: (records) => writeAll(file, encodeRecords(records)),
    };
  }

  async dir(output: string): Promise<string> {
    const spec = this.outputSpec(output);
    if (spec.kind !== "dir") {
      throw new Error(`output '${output}' of '${this.options.kind.name}' is records, not a dir`);
    }
    const path = this.options.paths.output(output, spec);
    await Deno.mkdir(path, { recursive: true });
    return path;
  }

  async forEachItem<I, R>(loop: ItemLoop<I, R>): Promise<void> {
    const committed = this.options.store.getItemCommit(this.runId, this.stepId, loop.output);
    const file = await openOutputAt(this.recordsPath(loop.output), committed.bytes);
    this.open.push(file);
    const total = loop.items.length;
    this.progress(committed.items, total);
    await runItemLoop({
      file,
      loop,
      start: committed,
      end: total,
      intervalMs: this.options.commitIntervalMs ?? COMMIT_INTERVAL_MS,
      signal: this.signal,
      onCommit: (position) => {
        this.options.store.commitItems(
          this.runId,
          this.stepId,
          loop.output,
          position.from,
          { items: position.items, bytes: position.bytes },
          this.options.kind.exactlyOnce === true,
        );
        this.progress(position.items, total);
      },
    });
  }

  async saveCheckpoint<M>(index: number, meta: M, write: (dir: string) => Promise<void>): Promise<void> {
    const dir = this.options.paths.checkpoint(index);
    const temp = `${dir}.partial`;
    await Deno.remove(temp, { recursive: true }).catch(() => {});
    await Deno.mkdir(temp, { recursive: true });
    await write(temp);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.rename(temp, dir);
    this.flushMetrics();
    this.options.store.addCheckpoint(this.runId, this.stepId, index, dir, meta);
    this.options.store.addEvent(this.runId, this.stepId, "checkpoint", { index });
    await this.pruneCheckpoints(dir);
  }

  /** Keeps the newest two checkpoints. */
  private async pruneCheckpoints(latest: string): Promise<void> {
    const root = `${this.options.paths.root}/checkpoints`;
    const names: string[] = [];
    for await (const entry of Deno.readDir(root)) {
      if (entry.isDirectory && !entry.name.endsWith(".partial")) names.push(entry.name);
    }
    names.sort();
    for (const name of names.slice(0, -2)) {
      if (`${root}/${name}` !== latest) await Deno.remove(`${root}/${name}`, { recursive: true });
    }
  }

  latestCheckpoint<M>(): Promise<StepCheckpoint<M> | undefined> {
    const row = this.options.store.latestCheckpoint(this.runId, this.stepId);
    return Promise.resolve(
      row ? { index: row.idx, dir: row.dir, meta: JSON.parse(row.meta) as M } : undefined,
    );
  }

  /** Flushes metrics and closes files opened by the attempt. Calling it again does nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.flushMetrics();
    for (const file of this.open.splice(0)) {
      try {
        await file.syncData();
      } finally {
        file.close();
      }
    }
    this.logFile?.close();
    this.logFile = undefined;
  }
}
