import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { SCHEMA_VERSION, schemaVersion } from "./_migrations.ts";
import { RunStore } from "./store.ts";

/** The run store's tables in their oldest shape, before `owner` and schema versions (user_version 0). */
const VERSION_0_SCHEMA = `
CREATE TABLE runs (
  id TEXT PRIMARY KEY, workflow TEXT NOT NULL, file TEXT NOT NULL, source TEXT NOT NULL,
  params TEXT NOT NULL, status TEXT NOT NULL, pid INTEGER NOT NULL, created REAL NOT NULL,
  updated REAL NOT NULL, error TEXT);
CREATE TABLE steps (
  run_id TEXT NOT NULL, step_id TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,
  cache_key TEXT, attempts INTEGER NOT NULL DEFAULT 0, started REAL, finished REAL, error TEXT,
  items_done INTEGER NOT NULL DEFAULT 0, items_total INTEGER, outputs TEXT,
  PRIMARY KEY (run_id, step_id));
CREATE TABLE item_commits (
  run_id TEXT NOT NULL, step_id TEXT NOT NULL, output TEXT NOT NULL, items INTEGER NOT NULL,
  bytes INTEGER NOT NULL, PRIMARY KEY (run_id, step_id, output));
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, step_id TEXT, type TEXT NOT NULL,
  data TEXT NOT NULL, ts REAL NOT NULL);
CREATE TABLE metrics (
  run_id TEXT NOT NULL, step_id TEXT NOT NULL, name TEXT NOT NULL, step INTEGER NOT NULL,
  value REAL NOT NULL, ts REAL NOT NULL);
`;

const MATRIX_SOURCE = `name: seeds
matrix: { seed: [1, 2] }
steps:
  - { id: data, uses: test.work, with: { items: 2 } }
  - { id: train, uses: test.work, needs: [data], matrix: [seed], with: { items: 2 } }
  - { id: report, uses: test.work, needs: [train], with: { items: 1 } }
`;

/** Writes a store as version 0 did: one finished matrix run. */
function writeVersion0Store(path: string): void {
  const db = new DatabaseSync(path);
  db.exec(VERSION_0_SCHEMA);
  db.prepare("INSERT INTO runs VALUES (?,?,?,?,?,?,?,?,?,?)")
    .run("old", "seeds", "seeds.yaml", MATRIX_SOURCE, "{}", "done", 1, 1000, 2000, null);
  for (const id of ["data", "train[seed=1]", "train[seed=2]", "report"]) {
    db.prepare("INSERT INTO steps (run_id, step_id, kind, status, items_done) VALUES (?,?,?,?,?)")
      .run("old", id, "test.work", "done", 2);
  }
  db.prepare("INSERT INTO metrics VALUES (?,?,?,?,?,?)").run("old", "report", "loss", 0, 0.5, 1500);
  db.close();
}

Deno.test("a version 0 store migrates to the current schema: data kept, owner and needs added", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/pipeline.db`;
  writeVersion0Store(path);
  const store = new RunStore(path);
  try {
    assert.equal(schemaVersion(store.db), SCHEMA_VERSION);
    const run = store.getRun("old")!;
    assert.equal(run.status, "done");
    assert.equal(run.owner, null);
    const needs = Object.fromEntries(store.getSteps("old").map((s) => [s.step_id, JSON.parse(s.needs!)]));
    assert.deepEqual(needs, {
      data: [],
      "train[seed=1]": ["data"],
      "train[seed=2]": ["data"],
      report: ["train[seed=1]", "train[seed=2]"],
    });
    assert.equal(store.getSteps("old")[0].items_done, 2);
    assert.ok(store.hasSchema(), "the tables added since version 0 exist");
    assert.deepEqual(store.getShards("old"), [], "the shard tables (version 3) exist and are empty");
    store.createRun(
      {
        id: "new",
        workflow: "w",
        file: "w.yaml",
        source: "",
        params: "{}",
        status: "running",
        pid: 2,
        created: 3,
      },
      [{ id: "a", kind: "test.work", needs: [] }, { id: "b", kind: "test.work", needs: ["a"] }],
    );
    assert.deepEqual(store.getSteps("new").map((s) => JSON.parse(s.needs!)), [[], ["a"]]);
  } finally {
    store.close();
  }
  const reopened = new RunStore(path);
  assert.equal(schemaVersion(reopened.db), SCHEMA_VERSION, "reopening a current store changes nothing");
  assert.equal(reopened.getSteps("old").length, 4);
  reopened.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a new store starts at the current version; a store from a newer pipeline is refused", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/pipeline.db`;
  const store = new RunStore(path);
  assert.equal(schemaVersion(store.db), SCHEMA_VERSION);
  store.db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
  store.close();
  assert.throws(
    () => new RunStore(path),
    new RegExp(`schema version ${SCHEMA_VERSION + 1}, newer than this pipeline's ${SCHEMA_VERSION}`),
  );
  await Deno.remove(dir, { recursive: true });
});
