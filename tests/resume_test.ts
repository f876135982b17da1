/**
 * Crash and resume: a workflow killed with SIGKILL at several points (inside a step, between steps, during
 * an item commit) and resumed ends with artifacts byte-identical to an uninterrupted run, with every
 * exactly-once item committed once.
 */
import assert from "node:assert/strict";
import { createApp } from "../src/server/app.ts";
import { RunStore } from "../src/workflow/store.ts";
import { CLI } from "./fixtures/chain.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const WORKFLOW = `${ROOT}tests/fixtures/chain.yaml`;
const STEPS = { first: 40, second: 40, side: 10, last: 5 } as const;

interface Result {
  code: number;
  signal: Deno.Signal | null;
  stderr: string;
}

function pipeline(args: string[], env: Record<string, string> = {}): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    env: { PIPELINE_COMMIT_INTERVAL_MS: "0", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function finish(child: Deno.ChildProcess): Promise<Result> {
  const out = await child.output();
  return { code: out.code, signal: out.signal, stderr: new TextDecoder().decode(out.stderr) };
}

async function outputsOf(runsDir: string, runId: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const step of Object.keys(STEPS)) {
    out[step] = await Deno.readTextFile(`${runsDir}/${runId}/steps/${step}/out/results.jsonl`);
  }
  return out;
}

let reference: Record<string, string> | undefined;
async function referenceOutputs(): Promise<Record<string, string>> {
  if (reference) return reference;
  const dir = await Deno.makeTempDir();
  const result = await finish(pipeline(["run", WORKFLOW, "--runs-dir", dir, "--run-id", "ref"]));
  assert.equal(result.code, 0, result.stderr);
  reference = await outputsOf(dir, "ref");
  return reference;
}

function assertExactlyOnce(runsDir: string, runId: string) {
  const store = new RunStore(`${runsDir}/pipeline.db`);
  try {
    for (const [step, items] of Object.entries(STEPS)) {
      assert.equal(store.ledgerCount(runId, step), items, step);
    }
    assert.equal(store.getRun(runId)?.status, "done");
  } finally {
    store.close();
  }
}

/** Kills a run at a point, resumes it until done, and compares with the reference. */
async function crashAndResume(crashEnv: Record<string, string>, extra: string[] = []) {
  const dir = await Deno.makeTempDir();
  const crashed = await finish(
    pipeline(["run", WORKFLOW, "--runs-dir", dir, "--run-id", "r", ...extra], crashEnv),
  );
  assert.equal(
    crashed.signal,
    "SIGKILL",
    `expected a SIGKILL crash, got code ${crashed.code}: ${crashed.stderr}`,
  );
  const resumed = await finish(pipeline(["resume", "r", "--runs-dir", dir]));
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(await outputsOf(dir, "r"), await referenceOutputs());
  assertExactlyOnce(dir, "r");
  await Deno.remove(dir, { recursive: true });
}

Deno.test("SIGKILL during an item commit (data written, not recorded), then resume", async () => {
  await crashAndResume({ PIPELINE_CRASH_AT: "commit:3" });
});

Deno.test("SIGKILL during a later step's commit, then resume", async () => {
  await crashAndResume({ PIPELINE_CRASH_AT: "commit:15" });
});

Deno.test("SIGKILL between steps, then resume", async () => {
  await crashAndResume({ PIPELINE_CRASH_AT: "step:second" });
});

Deno.test("SIGKILL from outside inside a running step, twice, then resume", async () => {
  const dir = await Deno.makeTempDir();
  const slow = ["--set", "work_ms=15"];
  const kill = async (args: string[]) => {
    const child = pipeline(args);
    const store = new RunStore(`${dir}/pipeline.db`);
    try {
      for (let i = 0; i < 400; i++) {
        await new Promise((r) => setTimeout(r, 50));
        const step = store.getSteps("r").find((s) => s.step_id === "second");
        if (step && step.status === "running" && step.items_done > 4 + 10 * Number(args[0] === "resume")) {
          break;
        }
      }
    } finally {
      store.close();
    }
    child.kill("SIGKILL");
    const result = await finish(child);
    assert.equal(result.signal, "SIGKILL");
  };
  await kill(["run", WORKFLOW, "--runs-dir", dir, "--run-id", "r", ...slow]);
  await kill(["resume", "r", "--runs-dir", dir]);
  const resumed = await finish(pipeline(["resume", "r", "--runs-dir", dir]));
  assert.equal(resumed.code, 0, resumed.stderr);
  const ref = await referenceOutputs();
  assert.deepEqual(await outputsOf(dir, "r"), ref);
  assertExactlyOnce(dir, "r");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("SIGTERM stops gracefully: run marked interrupted, exit 130, resume completes", async () => {
  const dir = await Deno.makeTempDir();
  const child = pipeline(["run", WORKFLOW, "--runs-dir", dir, "--run-id", "r", "--set", "work_ms=20"]);
  // SIGTERM once items are being committed (the handlers are installed by then), however slow the start is
  await waitForItems(dir, "first", 1);
  child.kill("SIGTERM");
  const stopped = await finish(child);
  assert.equal(stopped.code, 130, stopped.stderr);
  const store = new RunStore(`${dir}/pipeline.db`);
  assert.equal(store.getRun("r")?.status, "interrupted");
  store.close();
  const resumed = await finish(pipeline(["resume", "r", "--runs-dir", dir]));
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(await outputsOf(dir, "r"), await referenceOutputs());
  await Deno.remove(dir, { recursive: true });
});

/** Waits until `step` of run `r` in `runsDir` has committed more than `items` items (at most 60 s). */
async function waitForItems(runsDir: string, step: string, items: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    try {
      const store = new RunStore(`${runsDir}/pipeline.db`, { readOnly: true });
      try {
        if (!store.hasSchema()) continue;
        const row = store.getSteps("r").find((s) => s.step_id === step);
        if (row && row.items_done > items) return;
      } finally {
        store.close();
      }
    } catch {
      // the store file does not exist yet
    }
  }
  throw new Error(`timed out waiting for ${step} to commit ${items} items`);
}

/** Runs a CLI command to completion and parses its JSON output. */
async function jsonOf(args: string[]): Promise<unknown> {
  const out = await pipeline(args).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test("after a SIGKILL, status, list and the status server show the run interrupted, not running", async () => {
  const dir = await Deno.makeTempDir();
  const child = pipeline(["run", WORKFLOW, "--runs-dir", dir, "--run-id", "r", "--set", "work_ms=15"]);
  const store = new RunStore(`${dir}/pipeline.db`);
  try {
    for (let i = 0; i < 400; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const step = store.getStep("r", "second");
      if (step?.status === "running" && step.items_done > 2) break;
    }
  } finally {
    store.close();
  }
  child.kill("SIGKILL");
  assert.equal((await finish(child)).signal, "SIGKILL");

  type Shown = { status: string; error: string | null; steps: { step_id: string; status: string }[] };
  const status = await jsonOf(["status", "r", "--runs-dir", dir, "--json"]) as Shown;
  assert.equal(status.status, "interrupted");
  assert.match(status.error!, /exited without finishing the run; continue it: .*resume r/);
  assert.deepEqual(status.steps.filter((s) => s.status === "running"), []);
  assert.equal(status.steps.find((s) => s.step_id === "second")?.status, "interrupted");
  const list = await jsonOf(["list", "--runs-dir", dir, "--json"]) as { id: string; status: string }[];
  assert.deepEqual(list.map((r) => [r.id, r.status]), [["r", "interrupted"]]);

  const { app, reader } = createApp({ runsDir: dir, tokenForReads: false });
  const detail = await (await app.request("/api/runs/r")).json();
  assert.equal(detail.status, "interrupted");
  assert.deepEqual(detail.stepList.filter((s: { status: string }) => s.status === "running"), []);
  const runs = await (await app.request("/api/runs")).json();
  assert.equal(runs.runs[0].status, "interrupted");
  reader.close();

  const resumed = await finish(pipeline(["resume", "r", "--runs-dir", dir]));
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(await outputsOf(dir, "r"), await referenceOutputs());
  await Deno.remove(dir, { recursive: true });
});
