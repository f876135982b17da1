/**
 * One shard of a sharded step, as a cluster node runs it (`pipeline shard RUN STEP K`): reads the job its
 * head wrote, runs the step kind with a context whose item loop covers only shard K's contiguous range of the
 * items, and commits with the durable item protocol into the shard's own files (records appended and
 * fsynced, then the commit file replaced by write, fsync, rename). A requeued task cuts its records back to
 * the last commit and continues after it, so nothing committed is lost or repeated. Work of the step kind
 * after its item loop is not run here: the head runs it once, after merging the shards.
 *
 * @example
 * ```ts ignore
 * await runShard({ runsDir: "/shared/runs", runId: "r1", stepId: "verify", shard: 2, registry, signal });
 * ```
 *
 * @module
 */
import { StepPaths } from "../artifacts.ts";
import { codeVersion } from "../code_version.ts";
import { COMMIT_INTERVAL_MS, openOutputAt, runItemLoop } from "../context.ts";
import type { StepRegistry } from "../spec.ts";
import type { ItemLoop, RecordWriter, StepCheckpoint, StepContext, StepKind } from "../step.ts";
import {
  readShardCommit,
  readShardJob,
  type ShardCommit,
  ShardFiles,
  shardRange,
  writeShardCommit,
} from "./shards.ts";

/** What {@link runShard} needs. */
export interface ShardOptions {
  /** The runs folder, on the shared file system. */
  runsDir: string;
  runId: string;
  stepId: string;
  shard: number;
  /** The step kinds (the same entry point as the head's, so the same kinds). */
  registry: StepRegistry;
  /** Aborted on SIGTERM (for example `scancel`, or Slurm preempting the task). */
  signal: AbortSignal;
  /** Overrides the commit interval (tests). */
  commitIntervalMs?: number;
}

/** Thrown once the shard's item loop is done, to skip the rest of the kind's `run` (the head does it). */
class ShardLoopDone extends Error {}

/** The identity of this process for a commit file. */
function writer(): Pick<ShardCommit, "host" | "node" | "pid" | "restarts"> {
  return {
    host: Deno.hostname(),
    node: Deno.env.get("SLURMD_NODENAME") ?? null,
    pid: Deno.pid,
    restarts: Number(Deno.env.get("SLURM_RESTART_COUNT") ?? 0),
  };
}

/** The step context of a shard: one item loop over the shard's range; outputs written in one go are refused. */
class ShardContext<P> implements StepContext<P> {
  readonly workDir: string;
  private looped = false;
  private readonly open: Deno.FsFile[] = [];

  constructor(
    private readonly options: ShardOptions,
    private readonly kind: StepKind,
    private readonly shards: number,
    readonly params: P,
  ) {
    this.workDir = `${new ShardFiles(this.paths).dir(options.shard)}/work`;
  }

  get runId(): string {
    return this.options.runId;
  }
  get stepId(): string {
    return this.options.stepId;
  }
  get signal(): AbortSignal {
    return this.options.signal;
  }
  private get paths(): StepPaths {
    return new StepPaths(`${this.options.runsDir}/${this.options.runId}`, this.options.stepId);
  }

  log(message: string): void {
    console.error(`${new Date().toISOString()} [${this.stepId} shard ${this.options.shard}] ${message}`);
  }
  progress(): void {
    // a shard's progress is its commit file, which the head mirrors
  }
  metric(name: string, value: number, step?: number): void {
    this.log(`metric ${name}${step === undefined ? "" : `@${step}`} = ${value}`);
  }
  private refuse(what: string): never {
    throw new Error(
      `step kind '${this.kind.name}' uses ${what} in a shard; a shardable kind writes its outputs with one ` +
        `forEachItem loop (fix the kind, or run the step with 'executor: local')`,
    );
  }
  records(): Promise<RecordWriter> {
    this.refuse("records() before its item loop");
  }
  dir(): Promise<string> {
    this.refuse("dir()");
  }
  saveCheckpoint(): Promise<void> {
    this.refuse("checkpoints");
  }
  latestCheckpoint<M>(): Promise<StepCheckpoint<M> | undefined> {
    return Promise.resolve(undefined);
  }

  async forEachItem<I, R>(loop: ItemLoop<I, R>): Promise<void> {
    if (this.looped) this.refuse("a second item loop");
    this.looped = true;
    const files = new ShardFiles(this.paths);
    const k = this.options.shard;
    const total = loop.items.length;
    const range = shardRange(k, this.shards, total);
    const path = files.commit(k);
    const earlier = await readShardCommit(path);
    if (
      earlier &&
      (earlier.output !== loop.output || earlier.first !== range.first || earlier.end !== range.end ||
        earlier.total !== total)
    ) {
      throw new Error(
        `${path}: shard ${k} committed items ${earlier.first}..${earlier.end} of ${earlier.total} (${earlier.output}), ` +
          `but now covers ${range.first}..${range.end} of ${total} (${loop.output}): the step's items changed; ` +
          `run it again from scratch (pipeline resume RUN --from ${this.stepId})`,
      );
    }
    let commit: ShardCommit = {
      shard: k,
      output: loop.output,
      ...range,
      total,
      items: earlier?.items ?? range.first,
      bytes: earlier?.bytes ?? 0,
      ledger: earlier?.ledger ?? [],
      finished: false,
      ...writer(),
      started: Date.now(),
      updated: Date.now(),
    };
    commit.finished = commit.items >= range.end;
    await writeShardCommit(path, commit);
    const file = await openOutputAt(files.output(k, loop.output), commit.bytes);
    this.open.push(file);
    this.log(
      `items ${commit.items}..${range.end} of ${range.first}..${range.end} (restart ${commit.restarts})`,
    );
    await runItemLoop({
      file,
      loop,
      start: { items: commit.items, bytes: commit.bytes },
      end: range.end,
      intervalMs: this.options.commitIntervalMs ?? COMMIT_INTERVAL_MS,
      signal: this.signal,
      onCommit: async (position) => {
        if (position.from !== commit.items) {
          throw new Error(
            `shard ${k}: items ${position.from}..${position.items} do not follow item ${commit.items}`,
          );
        }
        commit = {
          ...commit,
          items: position.items,
          bytes: position.bytes,
          ledger: [...commit.ledger, [position.from, position.items]],
          finished: position.items >= range.end,
          updated: Date.now(),
        };
        await writeShardCommit(path, commit);
      },
    });
    throw new ShardLoopDone();
  }

  /** Closes the files the shard opened. */
  async close(): Promise<void> {
    for (const file of this.open.splice(0)) {
      try {
        await file.syncData();
      } finally {
        file.close();
      }
    }
  }

  /** Whether the kind ran its item loop. */
  get ranLoop(): boolean {
    return this.looped;
  }
}

/** Runs one shard to the end of its range. Throws when the kind fails or the shard is interrupted. */
export async function runShard(options: ShardOptions): Promise<void> {
  const files = new ShardFiles(new StepPaths(`${options.runsDir}/${options.runId}`, options.stepId));
  const job = await readShardJob(files.spec);
  if (job.runId !== options.runId || job.stepId !== options.stepId) {
    throw new Error(
      `${files.spec} is the job of ${job.runId}/${job.stepId}, not ${options.runId}/${options.stepId}`,
    );
  }
  if (!Number.isInteger(options.shard) || options.shard < 0 || options.shard >= job.shards) {
    throw new Error(`shard ${options.shard}: the step has shards 0..${job.shards - 1}`);
  }
  const kind = options.registry.get(job.kind);
  if (!kind?.shardable) {
    throw new Error(
      `step kind '${job.kind}' is ${kind ? "not shardable" : "unknown"} in this pipeline's registry`,
    );
  }
  if (codeVersion(kind) !== job.version) {
    throw new Error(
      `the code of '${job.kind}' here differs from the head's (${codeVersion(kind).slice(0, 12)} vs ` +
        `${job.version.slice(0, 12)}): every node must run the same checkout, on the shared file system`,
    );
  }
  const params = kind.params.safeParse(job.params);
  if (!params.success) throw new Error(`${files.spec}: parameters: ${params.error.issues[0].message}`);
  const context = new ShardContext(options, kind, job.shards, params.data);
  await Deno.mkdir(context.workDir, { recursive: true });
  try {
    await kind.run(context);
    if (!context.ranLoop) throw new Error(`step kind '${kind.name}' finished without an item loop`);
  } catch (error) {
    if (!(error instanceof ShardLoopDone)) throw error;
  } finally {
    await context.close();
  }
}
