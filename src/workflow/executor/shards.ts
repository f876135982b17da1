/**
 * The files through which a sharded step's head and its shards talk, on the cluster's shared file system (no
 * database is shared between hosts):
 *
 * ```
 * steps/<step>/shards/job.json        what to run: kind, code version, resolved parameters, shard count
 * steps/<step>/shards/job.sh          the batch script of the array (runs `pipeline shard RUN STEP K`)
 * steps/<step>/shards/<K>/commit.json the shard's committed position (write, fsync, rename)
 * steps/<step>/shards/<K>/<output>.jsonl  its records, item order, cut back to the commit on a restart
 * steps/<step>/shards/<K>/slurm.log   the task's stdout and stderr (appended across requeues)
 * ```
 *
 * @example
 * ```ts ignore
 * const files = new ShardFiles(new StepPaths(runDir, "verify"));
 * const commit = await readShardCommit(files.commit(0)); // undefined until shard 0 committed
 * ```
 *
 * @module
 */
import { z } from "zod";
import type { StepPaths } from "../artifacts.ts";
import { writeFileDurably } from "../../util/fs.ts";

/** Where a sharded step's files live (see the module doc). */
export class ShardFiles {
  /** `steps/<step>/shards`. */
  readonly root: string;
  constructor(readonly step: StepPaths) {
    this.root = `${step.root}/shards`;
  }
  /** The job description the shards read. */
  get spec(): string {
    return `${this.root}/job.json`;
  }
  /** The array's batch script. */
  get script(): string {
    return `${this.root}/job.sh`;
  }
  /** Shard `k`'s folder. */
  dir(k: number): string {
    return `${this.root}/${k}`;
  }
  /** Shard `k`'s commit file. */
  commit(k: number): string {
    return `${this.dir(k)}/commit.json`;
  }
  /** Shard `k`'s records of `output`. */
  output(k: number, output: string): string {
    return `${this.dir(k)}/${output}.jsonl`;
  }
  /** Shard `k`'s task log (Slurm's `--output`); `%a` is the task index. */
  log(k: number | "%a"): string {
    return `${this.root}/${k}/slurm.log`;
  }
}

/** What a shard runs, written by the head before it submits the array. */
export const ShardJob = z.strictObject({
  runId: z.string(),
  stepId: z.string(),
  /** The step kind's name (`uses:`). */
  kind: z.string(),
  /** Its code version on the head; a shard whose code differs refuses to run. */
  version: z.string(),
  /** The resolved `with:` parameters. */
  params: z.unknown(),
  /** How many shards the items are split into. */
  shards: z.number().int().min(1),
});
/** What a shard runs. */
export type ShardJob = z.infer<typeof ShardJob>;

/** A shard's committed position: its item range, how far it got, and who wrote it. */
export const ShardCommit = z.strictObject({
  shard: z.number().int().min(0),
  /** The records output of the step's item loop. */
  output: z.string(),
  /** The shard's items: `[first, end)` of the step's items. */
  first: z.number().int().min(0),
  end: z.number().int().min(0),
  /** All of the step's items (the same in every shard). */
  total: z.number().int().min(0),
  /** The index after the last committed item (`first` when nothing is committed). */
  items: z.number().int().min(0),
  /** The committed size of the shard's records file. */
  bytes: z.number().int().min(0),
  /** Every committed range `[from, to)`, in order: each starts where the previous ended. */
  ledger: z.array(z.tuple([z.number().int(), z.number().int()])),
  /** Whether every item of the range is committed. */
  finished: z.boolean(),
  /** The host and Slurm node (`SLURMD_NODENAME`) of the latest writer, and its pid. */
  host: z.string(),
  node: z.string().nullable(),
  pid: z.number().int(),
  /** `SLURM_RESTART_COUNT` of the latest writer: how often Slurm requeued the task. */
  restarts: z.number().int().min(0),
  /** When the latest writer started its item loop, and when it last wrote (ms since the epoch). */
  started: z.number(),
  updated: z.number(),
});
/** A shard's committed position. */
export type ShardCommit = z.infer<typeof ShardCommit>;

/** The contiguous item range of shard `k` of `shards` over `total` items: sizes differ by at most one. */
export function shardRange(k: number, shards: number, total: number): { first: number; end: number } {
  return { first: Math.floor((k * total) / shards), end: Math.floor(((k + 1) * total) / shards) };
}

/** Reads a shard's commit file; undefined when the shard has not committed yet. */
export async function readShardCommit(path: string): Promise<ShardCommit | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  const parsed = ShardCommit.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new Error(
      `${path}: not a shard commit (${parsed.error.issues[0].message}); delete the shard's folder`,
    );
  }
  return parsed.data;
}

/** Writes a shard's commit file durably (write, fsync, rename). */
export function writeShardCommit(path: string, commit: ShardCommit): Promise<void> {
  return writeFileDurably(path, new TextEncoder().encode(JSON.stringify(commit) + "\n"));
}

/** Reads the job description of a sharded step. */
export async function readShardJob(path: string): Promise<ShardJob> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new Error(
      `${path}: ${
        (error as Error).message
      }; a shard needs the job its head wrote (is the runs folder on the ` +
        `shared file system, at the same path on every node?)`,
    );
  }
  return ShardJob.parse(JSON.parse(text));
}
