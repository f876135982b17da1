/**
 * The run store: run state (runs, steps, attempts, item progress, events, metrics, checkpoints) in SQLite
 * through `node:sqlite`, in WAL mode so the status server can read while a pipeline writes.
 *
 * One database file per runs directory (`<runs-dir>/pipeline.db`). Every write is a short transaction. The
 * schema has a version, and a store written by an earlier version is migrated when it is opened for writing
 * (see `_migrations.ts`).
 *
 * @module
 */
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import { migrate, SHARD_TABLES } from "./_migrations.ts";

/** The life cycle of a run. */
export type RunStatus = "running" | "done" | "failed" | "interrupted";
/** The life cycle of a step within a run. `cached` means its outputs were reused from an earlier run. */
export type StepStatus = "pending" | "running" | "done" | "cached" | "failed" | "interrupted";

/** A run as stored. */
export interface RunRow {
  id: string;
  workflow: string;
  file: string;
  /** The workflow's source text, kept so a resume needs no file. */
  source: string;
  /** Parameter values after `--set`, as JSON. */
  params: string;
  status: RunStatus;
  /** The process running it (the latest one, after a resume). */
  pid: number;
  /** That process's identity, pid and start time (see owner.ts); null in stores written before it. */
  owner: string | null;
  created: number;
  updated: number;
  error: string | null;
}

/** A step of a run as stored. */
export interface StepRow {
  run_id: string;
  step_id: string;
  kind: string;
  status: StepStatus;
  cache_key: string | null;
  attempts: number;
  started: number | null;
  finished: number | null;
  error: string | null;
  items_done: number;
  items_total: number | null;
  /** JSON: Record<output name, ArtifactRef>. */
  outputs: string | null;
  /** JSON: the step ids (matrix instance ids) this step needs; null only in a store not yet migrated. */
  needs: string | null;
}

/** An event of a run (step started, progress, finished, failed, metric...). */
export interface EventRow {
  id: number;
  run_id: string;
  step_id: string | null;
  type: string;
  data: string;
  ts: number;
}

/** A metric point. */
export interface MetricRow {
  run_id: string;
  step_id: string;
  name: string;
  step: number;
  value: number;
  ts: number;
}

/** An array job submitted for a sharded step (`executor: slurm`). */
export interface ShardJobRow {
  run_id: string;
  step_id: string;
  job_id: string;
  /** The shard indices it was submitted for, comma-separated. */
  shards: string;
  submitted: number;
}

/** The life cycle of a shard as the head sees it. */
export type ShardState = "pending" | "running" | "done" | "failed";

/** One shard of a sharded step, as last mirrored by the head from the scheduler and the shard's commit file. */
export interface ShardRow {
  run_id: string;
  step_id: string;
  shard: number;
  /** The array job it last ran in. */
  job_id: string | null;
  state: ShardState;
  /** The scheduler's own state (`PENDING`, `RUNNING`, `NODE_FAIL`, ...), when it still knows the task. */
  scheduler_state: string | null;
  /** The node it runs or ran on. */
  node: string | null;
  /** How often the scheduler requeued it. */
  restarts: number;
  /** Its item range `[first, end)`, once the shard has started. */
  first: number | null;
  end: number | null;
  /** Committed items of its range. */
  items_done: number;
  updated: number;
}

/** The committed position of an item loop: how many items, and how many bytes of the output file. */
export interface ItemCommit {
  items: number;
  bytes: number;
}

/** The tables of the store; a reader waits until all of them exist. */
const TABLES = [
  "runs",
  "steps",
  "item_commits",
  "item_ledger",
  "events",
  "metrics",
  "checkpoints",
  "shard_jobs",
  "shards",
];

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY, workflow TEXT NOT NULL, file TEXT NOT NULL, source TEXT NOT NULL,
  params TEXT NOT NULL, status TEXT NOT NULL, pid INTEGER NOT NULL, created REAL NOT NULL,
  updated REAL NOT NULL, error TEXT, owner TEXT);
CREATE TABLE IF NOT EXISTS steps (
  run_id TEXT NOT NULL, step_id TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,
  cache_key TEXT, attempts INTEGER NOT NULL DEFAULT 0, started REAL, finished REAL, error TEXT,
  items_done INTEGER NOT NULL DEFAULT 0, items_total INTEGER, outputs TEXT, needs TEXT,
  PRIMARY KEY (run_id, step_id));
CREATE INDEX IF NOT EXISTS steps_cache ON steps (cache_key, status);
CREATE TABLE IF NOT EXISTS item_commits (
  run_id TEXT NOT NULL, step_id TEXT NOT NULL, output TEXT NOT NULL, items INTEGER NOT NULL,
  bytes INTEGER NOT NULL, PRIMARY KEY (run_id, step_id, output));
CREATE TABLE IF NOT EXISTS item_ledger (
  run_id TEXT NOT NULL, step_id TEXT NOT NULL, first INTEGER NOT NULL, last INTEGER NOT NULL,
  PRIMARY KEY (run_id, step_id, first)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, step_id TEXT, type TEXT NOT NULL,
  data TEXT NOT NULL, ts REAL NOT NULL);
CREATE INDEX IF NOT EXISTS events_run ON events (run_id, id);
CREATE TABLE IF NOT EXISTS metrics (
  run_id TEXT NOT NULL, step_id TEXT NOT NULL, name TEXT NOT NULL, step INTEGER NOT NULL,
  value REAL NOT NULL, ts REAL NOT NULL);
CREATE INDEX IF NOT EXISTS metrics_run ON metrics (run_id, step_id, name, step);
CREATE TABLE IF NOT EXISTS file_digests (
  path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime REAL NOT NULL, ctime REAL NOT NULL, ino INTEGER NOT NULL,
  sha256 TEXT NOT NULL) WITHOUT ROWID;
${SHARD_TABLES}CREATE TABLE IF NOT EXISTS checkpoints (
  run_id TEXT NOT NULL, step_id TEXT NOT NULL, idx INTEGER NOT NULL, dir TEXT NOT NULL,
  meta TEXT NOT NULL, ts REAL NOT NULL, PRIMARY KEY (run_id, step_id, idx));
`;

/**
 * The remembered sha256 of an input file (see fingerprints.ts), valid while the file's size, modification
 * time, status-change time and inode are the same.
 */
export interface FileDigest {
  path: string;
  size: number;
  mtime: number;
  ctime: number;
  ino: number;
  sha256: string;
}

/** Access to the run store. Open one per process; the database handles readers in other processes. */
export class RunStore {
  readonly db: DatabaseSync;

  /**
   * Opens (creating if needed) the store at `path`; `readOnly` never writes (for the status server). A writer
   * creates the tables in one transaction, so a reader sees all of them or none ({@link hasSchema}).
   */
  constructor(readonly path: string, options: { readOnly?: boolean } = {}) {
    this.db = new DatabaseSync(path, { readOnly: options.readOnly ?? false, timeout: 5000 });
    if (!options.readOnly) {
      this.db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
      this.transaction(() => {
        this.db.exec(SCHEMA);
        migrate(this.db, path);
      });
    }
  }

  /** Whether every table exists (false while the first writer is still creating the store). */
  hasSchema(): boolean {
    const placeholders = TABLES.map(() => "?").join(",");
    const row = this.all<{ n: number }>(
      `SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN (${placeholders})`,
      ...TABLES,
    )[0];
    return row.n === TABLES.length;
  }

  /** Closes the database. */
  close(): void {
    this.db.close();
  }

  /** Runs `fn` in one transaction. */
  transaction<T>(fn: () => T): T {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const result = fn();
      this.db.exec("COMMIT");
      return result;
    } catch (error) {
      this.db.exec("ROLLBACK");
      throw error;
    }
  }

  private run(sql: string, ...args: SQLInputValue[]): void {
    this.db.prepare(sql).run(...args);
  }

  private all<T>(sql: string, ...args: SQLInputValue[]): T[] {
    return this.db.prepare(sql).all(...args) as unknown as T[];
  }

  /** Creates a run and its steps (all pending). */
  createRun(
    run: Omit<RunRow, "updated" | "error" | "owner"> & { owner?: string },
    steps: { id: string; kind: string; needs: readonly string[] }[],
  ): void {
    this.transaction(() => {
      this.run(
        "INSERT INTO runs (id, workflow, file, source, params, status, pid, owner, created, updated) VALUES (?,?,?,?,?,?,?,?,?,?)",
        run.id,
        run.workflow,
        run.file,
        run.source,
        run.params,
        run.status,
        run.pid,
        run.owner ?? null,
        run.created,
        run.created,
      );
      for (const step of steps) {
        this.run(
          "INSERT INTO steps (run_id, step_id, kind, status, needs) VALUES (?,?,?,'pending',?)",
          run.id,
          step.id,
          step.kind,
          JSON.stringify(step.needs),
        );
      }
    });
  }

  /** A run, or undefined. */
  getRun(id: string): RunRow | undefined {
    return this.all<RunRow>("SELECT * FROM runs WHERE id = ?", id)[0];
  }

  /** All runs, newest first. */
  listRuns(limit = 100): RunRow[] {
    return this.all<RunRow>("SELECT * FROM runs ORDER BY created DESC LIMIT ?", limit);
  }

  /** Sets a run's status (and its process, see owner.ts, when a process takes it over). */
  setRunStatus(
    id: string,
    status: RunStatus,
    error: string | null = null,
    process?: { pid: number; owner: string },
  ): void {
    this.run(
      "UPDATE runs SET status = ?, error = ?, updated = ?, pid = COALESCE(?, pid), owner = COALESCE(?, owner) WHERE id = ?",
      status,
      error,
      Date.now(),
      process?.pid ?? null,
      process?.owner ?? null,
      id,
    );
  }

  /** Refreshes a run's `updated` time: the heartbeat of its process (see owner.ts). */
  touchRun(id: string): void {
    this.run("UPDATE runs SET updated = ? WHERE id = ?", Date.now(), id);
  }

  /** The steps of a run, in insertion (workflow) order. */
  getSteps(runId: string): StepRow[] {
    return this.all<StepRow>("SELECT * FROM steps WHERE run_id = ? ORDER BY rowid", runId);
  }

  /** One step of a run. */
  getStep(runId: string, stepId: string): StepRow | undefined {
    return this.all<StepRow>("SELECT * FROM steps WHERE run_id = ? AND step_id = ?", runId, stepId)[0];
  }

  /** Updates some columns of a step. */
  updateStep(runId: string, stepId: string, fields: Partial<Omit<StepRow, "run_id" | "step_id">>): void {
    const keys = Object.keys(fields) as (keyof typeof fields)[];
    if (keys.length === 0) return;
    const sets = keys.map((key) => `${key} = ?`).join(", ");
    const values = keys.map((key) => (fields[key] ?? null) as SQLInputValue);
    this.run(`UPDATE steps SET ${sets} WHERE run_id = ? AND step_id = ?`, ...values, runId, stepId);
    this.run("UPDATE runs SET updated = ? WHERE id = ?", Date.now(), runId);
  }

  /** Forgets a step's progress so it runs again from scratch (used by `--from`). */
  resetStep(runId: string, stepId: string): void {
    this.transaction(() => {
      this.run(
        `UPDATE steps SET status = 'pending', cache_key = NULL, attempts = 0, started = NULL, finished = NULL,
         error = NULL, items_done = 0, items_total = NULL, outputs = NULL WHERE run_id = ? AND step_id = ?`,
        runId,
        stepId,
      );
      for (const table of ["item_commits", "item_ledger", "checkpoints", "metrics", "shard_jobs", "shards"]) {
        this.run(`DELETE FROM ${table} WHERE run_id = ? AND step_id = ?`, runId, stepId);
      }
    });
  }

  /** A finished step of any run with this cache key, newest first, for reuse. */
  findCached(cacheKey: string): StepRow | undefined {
    return this.all<StepRow>(
      "SELECT * FROM steps WHERE cache_key = ? AND status IN ('done','cached') ORDER BY finished DESC LIMIT 1",
      cacheKey,
    )[0];
  }

  /** The committed position of an item loop. */
  getItemCommit(runId: string, stepId: string, output: string): ItemCommit {
    const row = this.all<ItemCommit>(
      "SELECT items, bytes FROM item_commits WHERE run_id = ? AND step_id = ? AND output = ?",
      runId,
      stepId,
      output,
    )[0];
    return row ?? { items: 0, bytes: 0 };
  }

  /**
   * Commits an item loop's new position, and (for exactly-once kinds) a ledger row for the committed range
   * of items, in one transaction. The ledger refuses a range that does not start where the previous one
   * ended, so no item can be committed twice or skipped.
   */
  commitItems(
    runId: string,
    stepId: string,
    output: string,
    from: number,
    commit: ItemCommit,
    ledger: boolean,
  ): void {
    this.transaction(() => {
      this.putItemCommit(runId, stepId, output, commit);
      if (ledger) this.extendLedger(runId, stepId, from, commit.items);
      this.run(
        "UPDATE steps SET items_done = ? WHERE run_id = ? AND step_id = ?",
        commit.items,
        runId,
        stepId,
      );
    });
  }

  /**
   * Sets an item loop's position to `commit` in one transaction, replacing its exactly-once ledger with
   * `ledger` (ranges that must follow each other from item 0), as after merging a sharded step's shards.
   */
  replaceItemCommit(
    runId: string,
    stepId: string,
    output: string,
    commit: ItemCommit,
    ledger?: readonly (readonly [number, number])[],
  ): void {
    this.transaction(() => {
      this.run("DELETE FROM item_ledger WHERE run_id = ? AND step_id = ?", runId, stepId);
      for (const [first, last] of ledger ?? []) this.extendLedger(runId, stepId, first, last);
      this.putItemCommit(runId, stepId, output, commit);
      this.run(
        "UPDATE steps SET items_done = ?, items_total = ? WHERE run_id = ? AND step_id = ?",
        commit.items,
        commit.items,
        runId,
        stepId,
      );
    });
  }

  /** Records an array job submitted for shards of a step. */
  addShardJob(runId: string, stepId: string, jobId: string, shards: readonly number[]): void {
    this.run(
      "INSERT OR REPLACE INTO shard_jobs (run_id, step_id, job_id, shards, submitted) VALUES (?,?,?,?,?)",
      runId,
      stepId,
      jobId,
      shards.join(","),
      Date.now(),
    );
  }

  /** The array jobs of a run (or of one of its steps), oldest first; empty in a store written before shards. */
  getShardJobs(runId: string, stepId?: string): ShardJobRow[] {
    return this.shardRows<ShardJobRow>("shard_jobs", runId, stepId, "submitted", "submitted");
  }

  /**
   * Rows of a shard table for a run or one of its steps; none from a read-only view of a store older than
   * those tables (version 3).
   */
  private shardRows<T>(
    table: "shards" | "shard_jobs",
    runId: string,
    stepId: string | undefined,
    runOrder: string,
    stepOrder: string,
  ): T[] {
    try {
      return stepId === undefined
        ? this.all<T>(`SELECT * FROM ${table} WHERE run_id = ? ORDER BY ${runOrder}`, runId)
        : this.all<T>(
          `SELECT * FROM ${table} WHERE run_id = ? AND step_id = ? ORDER BY ${stepOrder}`,
          runId,
          stepId,
        );
    } catch (error) {
      if (/no such table/.test((error as Error).message)) return [];
      throw error;
    }
  }

  /** Stores the head's view of shards (one transaction). */
  putShards(rows: readonly ShardRow[]): void {
    if (rows.length === 0) return;
    this.transaction(() => {
      const insert = this.db.prepare(
        `INSERT OR REPLACE INTO shards (run_id, step_id, shard, job_id, state, scheduler_state, node, restarts,
         first, end, items_done, updated) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
      );
      for (const r of rows) {
        insert.run(
          r.run_id,
          r.step_id,
          r.shard,
          r.job_id,
          r.state,
          r.scheduler_state,
          r.node,
          r.restarts,
          r.first,
          r.end,
          r.items_done,
          r.updated,
        );
      }
    });
  }

  /** The shards of a run (or of one step), by step and index; empty in a store written before shards. */
  getShards(runId: string, stepId?: string): ShardRow[] {
    return this.shardRows<ShardRow>("shards", runId, stepId, "step_id, shard", "shard");
  }

  private putItemCommit(runId: string, stepId: string, output: string, commit: ItemCommit): void {
    this.run(
      `INSERT INTO item_commits (run_id, step_id, output, items, bytes) VALUES (?,?,?,?,?)
       ON CONFLICT (run_id, step_id, output) DO UPDATE SET items = excluded.items, bytes = excluded.bytes`,
      runId,
      stepId,
      output,
      commit.items,
      commit.bytes,
    );
  }

  private extendLedger(runId: string, stepId: string, first: number, last: number): void {
    const end = this.all<{ end: number | null }>(
      "SELECT MAX(last) AS end FROM item_ledger WHERE run_id = ? AND step_id = ?",
      runId,
      stepId,
    )[0].end ?? 0;
    if (first !== end) {
      throw new Error(
        `exactly-once ledger of step '${stepId}': items ${first}..${last} do not follow item ${end}`,
      );
    }
    this.run(
      "INSERT INTO item_ledger (run_id, step_id, first, last) VALUES (?,?,?,?)",
      runId,
      stepId,
      first,
      last,
    );
  }

  /** How many items a step's exactly-once ledger holds (each committed once, contiguously from 0). */
  ledgerCount(runId: string, stepId: string): number {
    const row = this.all<{ n: number | null }>(
      "SELECT SUM(last - first) AS n FROM item_ledger WHERE run_id = ? AND step_id = ?",
      runId,
      stepId,
    )[0];
    return row.n ?? 0;
  }

  /** Appends an event. */
  addEvent(runId: string, stepId: string | null, type: string, data: unknown = {}): void {
    this.run(
      "INSERT INTO events (run_id, step_id, type, data, ts) VALUES (?,?,?,?,?)",
      runId,
      stepId,
      type,
      JSON.stringify(data),
      Date.now(),
    );
  }

  /** Events of a run after an event id (for server-sent events). */
  eventsAfter(runId: string, afterId: number, limit = 1000): EventRow[] {
    return this.all<EventRow>(
      "SELECT * FROM events WHERE run_id = ? AND id > ? ORDER BY id LIMIT ?",
      runId,
      afterId,
      limit,
    );
  }

  /** The id of a run's newest event (0 when it has none): where a live event stream starts. */
  lastEventId(runId: string): number {
    const row =
      this.all<{ id: number | null }>("SELECT MAX(id) AS id FROM events WHERE run_id = ?", runId)[0];
    return row?.id ?? 0;
  }

  /** A step's newest events of one type, newest first (for example `progress`, to estimate a rate). */
  recentEvents(runId: string, stepId: string, type: string, limit: number): EventRow[] {
    return this.all<EventRow>(
      "SELECT * FROM events WHERE run_id = ? AND step_id = ? AND type = ? ORDER BY id DESC LIMIT ?",
      runId,
      stepId,
      type,
      limit,
    );
  }

  /** The newest point of every metric of a run, per step and name. */
  latestMetrics(runId: string): MetricRow[] {
    return this.all<MetricRow>(
      `SELECT run_id, step_id, name, MAX(step) AS step, value, ts FROM metrics WHERE run_id = ?
       GROUP BY step_id, name ORDER BY step_id, name`,
      runId,
    );
  }

  /** Records metric points in one transaction. */
  addMetrics(points: Omit<MetricRow, "ts">[]): void {
    if (points.length === 0) return;
    const now = Date.now();
    this.transaction(() => {
      const insert = this.db.prepare(
        "INSERT INTO metrics (run_id, step_id, name, step, value, ts) VALUES (?,?,?,?,?,?)",
      );
      for (const p of points) insert.run(p.run_id, p.step_id, p.name, p.step, p.value, now);
    });
  }

  /** Metric points of a run (optionally one step), ordered by step. */
  getMetrics(runId: string, stepId?: string): MetricRow[] {
    return stepId === undefined
      ? this.all<MetricRow>("SELECT * FROM metrics WHERE run_id = ? ORDER BY step_id, name, step", runId)
      : this.all<MetricRow>(
        "SELECT * FROM metrics WHERE run_id = ? AND step_id = ? ORDER BY name, step",
        runId,
        stepId,
      );
  }

  /** The remembered digest of an input file, if any. */
  getFileDigest(path: string): FileDigest | undefined {
    return this.all<FileDigest>("SELECT * FROM file_digests WHERE path = ?", path)[0];
  }

  /** Remembers the digests of input files. */
  putFileDigests(digests: readonly FileDigest[]): void {
    if (digests.length === 0) return;
    this.transaction(() => {
      const insert = this.db.prepare(
        "INSERT OR REPLACE INTO file_digests (path, size, mtime, ctime, ino, sha256) VALUES (?,?,?,?,?,?)",
      );
      for (const d of digests) insert.run(d.path, d.size, d.mtime, d.ctime, d.ino, d.sha256);
    });
  }

  /** Records a committed checkpoint. */
  addCheckpoint(runId: string, stepId: string, index: number, dir: string, meta: unknown): void {
    this.run(
      `INSERT INTO checkpoints (run_id, step_id, idx, dir, meta, ts) VALUES (?,?,?,?,?,?)
       ON CONFLICT (run_id, step_id, idx) DO UPDATE SET dir = excluded.dir, meta = excluded.meta`,
      runId,
      stepId,
      index,
      dir,
      JSON.stringify(meta),
      Date.now(),
    );
  }

  /** The latest checkpoint of a step. */
  latestCheckpoint(runId: string, stepId: string): { idx: number; dir: string; meta: string } | undefined {
    return this.all<{ idx: number; dir: string; meta: string }>(
      "SELECT idx, dir, meta FROM checkpoints WHERE run_id = ? AND step_id = ? ORDER BY idx DESC LIMIT 1",
      runId,
      stepId,
    )[0];
  }
}
