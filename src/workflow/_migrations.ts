/**
 * The run store's schema versions and the migrations between them. A store records its version in SQLite's
 * `user_version`; a store written before versions existed reads as version 0. Opening a store for writing
 * applies every migration above its version, in order, inside the transaction that creates the tables.
 * Each migration is idempotent, so a store whose tables were just created at the newest shape passes through
 * them unchanged.
 *
 * To change the schema: change `SCHEMA` in `store.ts` to the new shape, append a migration here that brings
 * an existing store to it, and extend the migration test in `store_test.ts`.
 *
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import { parse as parseYaml } from "yaml";
import { instanceNeeds } from "./matrix.ts";

/**
 * The tables of sharded steps (`executor: slurm`): the array jobs submitted, and each shard's state as the
 * head last saw it. Part of `SCHEMA` in store.ts, and created by migration 3 in older stores.
 */
export const SHARD_TABLES = `
CREATE TABLE IF NOT EXISTS shard_jobs (
  run_id TEXT NOT NULL, step_id TEXT NOT NULL, job_id TEXT NOT NULL, shards TEXT NOT NULL,
  submitted REAL NOT NULL, PRIMARY KEY (run_id, step_id, job_id));
CREATE TABLE IF NOT EXISTS shards (
  run_id TEXT NOT NULL, step_id TEXT NOT NULL, shard INTEGER NOT NULL, job_id TEXT, state TEXT NOT NULL,
  scheduler_state TEXT, node TEXT, restarts INTEGER NOT NULL DEFAULT 0, first INTEGER, end INTEGER,
  items_done INTEGER NOT NULL DEFAULT 0, updated REAL NOT NULL, PRIMARY KEY (run_id, step_id, shard));
`;

/** One step from a schema version to the next. */
export interface Migration {
  /** The version a store has after this migration. */
  version: number;
  /** What changed, for the log and for readers of this file. */
  description: string;
  /** Applies the change to a store at `version - 1`. */
  up(db: DatabaseSync): void;
}

function columns(db: DatabaseSync, table: string): string[] {
  return (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
}

function addColumn(db: DatabaseSync, table: string, column: string, type: string): void {
  if (!columns(db, table).includes(column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
}

/** The declared `needs` of each step of a workflow source (no step kinds needed: only ids and needs). */
function declaredNeeds(source: string): Map<string, string[]> {
  const needs = new Map<string, string[]>();
  let doc: { steps?: { id?: unknown; needs?: unknown }[] } | null = null;
  try {
    doc = parseYaml(source);
  } catch {
    return needs; // a source this version cannot read: its steps keep no edges
  }
  for (const step of doc?.steps ?? []) {
    if (typeof step?.id !== "string") continue;
    needs.set(step.id, Array.isArray(step.needs) ? step.needs.filter((n) => typeof n === "string") : []);
  }
  return needs;
}

/** Fills `steps.needs` of the runs stored before it existed, from each run's workflow source. */
function backfillNeeds(db: DatabaseSync): void {
  const runs = db.prepare("SELECT id, source FROM runs").all() as { id: string; source: string }[];
  const update = db.prepare("UPDATE steps SET needs = ? WHERE run_id = ? AND step_id = ? AND needs IS NULL");
  for (const run of runs) {
    const ids = (db.prepare("SELECT step_id FROM steps WHERE run_id = ? ORDER BY rowid").all(run.id) as {
      step_id: string;
    }[]).map((row) => row.step_id);
    for (const [id, needs] of instanceNeeds(ids, declaredNeeds(run.source))) {
      update.run(JSON.stringify(needs), run.id, id);
    }
  }
}

/**
 * Every migration, oldest first.
 *
 * @example
 * ```ts
 * import { MIGRATIONS, SCHEMA_VERSION } from "./_migrations.ts";
 * MIGRATIONS.at(-1)?.version === SCHEMA_VERSION; // true
 * ```
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "runs.owner: the identity (pid and start time) of the process that owns the run",
    up: (db) => addColumn(db, "runs", "owner", "TEXT"),
  },
  {
    version: 2,
    description: "steps.needs: each step's dependencies as step instance ids, so readers need no YAML",
    up: (db) => {
      addColumn(db, "steps", "needs", "TEXT");
      backfillNeeds(db);
    },
  },
  {
    version: 3,
    description: "shard_jobs, shards: the Slurm array jobs of sharded steps and their shards' states",
    up: (db) => db.exec(SHARD_TABLES),
  },
];

/** The schema version this code writes. */
export const SCHEMA_VERSION: number = MIGRATIONS.at(-1)!.version;

/** The schema version of an open store (0 for a store written before versions existed). */
export function schemaVersion(db: DatabaseSync): number {
  return (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;
}

/**
 * Brings the store to {@link SCHEMA_VERSION}; refuses a store written by a newer version of the pipeline.
 * Call inside a transaction, after creating any missing tables.
 */
export function migrate(db: DatabaseSync, path: string): void {
  const version = schemaVersion(db);
  if (version > SCHEMA_VERSION) {
    throw new Error(
      `${path}: the run store has schema version ${version}, newer than this pipeline's ${SCHEMA_VERSION}; ` +
        "update the pipeline, or use another --runs-dir",
    );
  }
  for (const migration of MIGRATIONS) {
    if (migration.version > version) migration.up(db);
  }
  if (version !== SCHEMA_VERSION) db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
}
