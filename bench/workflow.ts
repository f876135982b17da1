/**
 * Benchmarks of the workflow engine:
 * 1. resuming a fully finished 20-step run (target: at most 1 s), through the CLI and in-process, and
 *    running the unchanged workflow again (every step reused from the cache: code versions and keys);
 * 2. the overhead of durably committing 100,000 tiny items against processing them without persisting
 *    (target: at most 5%);
 * 3. the content digest of a 256 MiB input directory (a stand-in for a checkpoint), the first time and
 *    unchanged (remembered file digests).
 *
 * Run: deno task bench workflow
 */
import { createHash } from "node:crypto";
import { testStepKinds } from "../src/steps/testing.ts";
import { StepPaths } from "../src/workflow/artifacts.ts";
import { encodeRecords, StepRun } from "../src/workflow/context.ts";
import { executeRun } from "../src/workflow/engine.ts";
import { digestInputs, RECENT_CHANGE_MS } from "../src/workflow/fingerprints.ts";
import { SilentReporter } from "../src/workflow/progress.ts";
import { parseWorkflow } from "../src/workflow/spec.ts";
import type { StepKind } from "../src/workflow/step.ts";
import { RunStore } from "../src/workflow/store.ts";
import { CLI } from "../tests/fixtures/chain.ts";

function twentySteps(): string {
  const steps = Array.from(
    { length: 20 },
    (_, i) =>
      i === 0
        ? `  - id: s0\n    uses: test.work\n    with: { items: 50 }`
        : `  - id: s${i}\n    uses: test.work\n    needs: [s${
          i - 1
        }]\n    with: { items: 50, input: "\${{ steps.s${i - 1}.outputs.results }}" }`,
  );
  return `name: twenty\nconcurrency: 4\nsteps:\n${steps.join("\n")}\n`;
}

async function benchResume(): Promise<void> {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/twenty.yaml`;
  await Deno.writeTextFile(file, twentySteps());
  const cli = (args: string[]) =>
    new Deno.Command(Deno.execPath(), { args: ["run", "-A", CLI, ...args], stderr: "null" })
      .output();
  const run = await cli(["run", file, "--runs-dir", dir, "--run-id", "r"]);
  if (run.code !== 0) throw new Error("the 20-step run failed");
  const times: number[] = [];
  for (let i = 0; i < 9; i++) {
    const t0 = performance.now();
    await cli(["resume", "r", "--runs-dir", dir]);
    times.push(performance.now() - t0);
  }
  const cached: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const again = await cli(["run", file, "--runs-dir", dir, "--run-id", `again-${i}`]);
    cached.push(performance.now() - t0);
    if (again.code !== 0) throw new Error("the cached re-run failed");
  }
  const workflow = parseWorkflow(twentySteps(), file, testStepKinds);
  const store = new RunStore(`${dir}/pipeline.db`);
  const t0 = performance.now();
  const status = await executeRun({ store, workflow, params: {}, runId: "r", runDir: `${dir}/r` });
  const inProcess = performance.now() - t0;
  store.close();
  times.sort((a, b) => a - b);
  console.log(`resume of a fully finished 20-step run, CLI wall time (process start to exit):`);
  console.log(
    `  median ${times[2].toFixed(0)} ms, best ${
      times[0].toFixed(0)
    } ms  (target <= 1000 ms; includes Deno start-up)`,
  );
  cached.sort((a, b) => a - b);
  console.log(
    `run of the unchanged 20-step workflow again (every step reused), CLI: median ${
      cached[2].toFixed(0)
    } ms, best ${cached[0].toFixed(0)} ms`,
  );
  console.log(
    `resume of the finished run in-process (nothing left to do): ${
      inProcess.toFixed(1)
    } ms, status ${status}`,
  );
  await Deno.remove(dir, { recursive: true });
}

/** A tiny item: one sha256 of a short string, as a stand-in for cheap per-item work. */
function tinyWork(item: number): { item: number; digest: string } {
  return { item, digest: createHash("sha256").update(`item-${item}`).digest("hex").slice(0, 16) };
}

async function benchCommitOverhead(): Promise<void> {
  const n = 100_000;
  const items = Array.from({ length: n }, (_, i) => i);
  const batchSize = 256;
  const process = (batch: readonly number[]) => Promise.resolve(batch.map(tinyWork));

  /** Processes every item and (with `serialize`) encodes the results as JSONL bytes, keeping nothing. */
  const baseline = async (serialize: boolean) => {
    const t0 = performance.now();
    let kept = 0;
    for (let start = 0; start < n; start += batchSize) {
      const results = await process(items.slice(start, start + batchSize));
      kept += serialize ? encodeRecords(results).length : results.length;
    }
    if (kept === 0) throw new Error("baseline produced nothing");
    return performance.now() - t0;
  };
  const persisted = async (exactlyOnce: boolean) => {
    const dir = await Deno.makeTempDir();
    const store = new RunStore(`${dir}/pipeline.db`);
    const kind: StepKind = { ...testStepKinds.get("test.work")!, exactlyOnce };
    store.createRun({
      id: "r",
      workflow: "b",
      file: "-",
      source: "",
      params: "{}",
      status: "running",
      pid: Deno.pid,
      created: Date.now(),
    }, [{ id: "s", kind: kind.name, needs: [] }]);
    const ctx = new StepRun({
      runId: "r",
      stepId: "s",
      kind,
      params: {},
      paths: new StepPaths(`${dir}/r`, "s"),
      store,
      reporter: new SilentReporter(),
      signal: new AbortController().signal,
    });
    await ctx.prepare();
    const t0 = performance.now();
    await ctx.forEachItem({ output: "results", items, batchSize, process });
    const ms = performance.now() - t0;
    await ctx.close();
    store.close();
    await Deno.remove(dir, { recursive: true });
    return ms;
  };
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const compute: number[] = [], base: number[] = [], durable: number[] = [], ledger: number[] = [];
  for (let i = 0; i < 9; i++) {
    compute.push(await baseline(false));
    base.push(await baseline(true));
    durable.push(await persisted(false));
    ledger.push(await persisted(true));
  }
  const c = median(compute), b = median(base), d = median(durable), l = median(ledger);
  const pct = (x: number, of: number) => `${(100 * (x / of - 1)).toFixed(1)}%`;
  console.log(
    `100,000 tiny items (one sha256 each), batches of ${batchSize}, commits every 100 ms, median of 9:`,
  );
  console.log(`  computed only, results dropped:             ${c.toFixed(0)} ms`);
  console.log(`  computed + encoded as JSONL, not persisted:  ${b.toFixed(0)} ms`);
  console.log(
    `  committed (write + fsync + SQLite):          ${d.toFixed(0)} ms  persistence overhead ${
      pct(d, b)
    } (target <= 5%), ${pct(d, c)} over compute only`,
  );
  console.log(
    `  committed with the exactly-once ledger:      ${l.toFixed(0)} ms  persistence overhead ${pct(l, b)}, ${
      pct(l, c)
    } over compute only`,
  );
}

async function benchInputDigests(): Promise<void> {
  const dir = await Deno.makeTempDir();
  const model = `${dir}/model`;
  await Deno.mkdir(model);
  const chunk = crypto.getRandomValues(new Uint8Array(1 << 16));
  const fileBytes = 64 << 20;
  for (let f = 0; f < 4; f++) {
    using file = await Deno.open(`${model}/shard-${f}.bin`, { create: true, write: true });
    for (let written = 0; written < fileBytes; written += chunk.length) await file.write(chunk);
  }
  // a checkpoint written a while ago: changes newer than RECENT_CHANGE_MS are never remembered
  await new Promise((resolve) => setTimeout(resolve, RECENT_CHANGE_MS + 100));
  const store = new RunStore(`${dir}/pipeline.db`);
  const t0 = performance.now();
  const first = await digestInputs(store, [model]);
  const cold = performance.now() - t0;
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t1 = performance.now();
    const again = await digestInputs(store, [model]);
    warm.push(performance.now() - t1);
    if (again.digests[model] !== first.digests[model] || again.hashedFiles !== 0) {
      throw new Error("the unchanged directory was hashed again");
    }
  }
  store.close();
  await Deno.remove(dir, { recursive: true });
  warm.sort((a, b) => a - b);
  console.log(`content digest of a 256 MiB input directory (4 files) for the cache key:`);
  console.log(
    `  first time (hashed): ${cold.toFixed(0)} ms; unchanged (remembered digests): median ${
      warm[2].toFixed(2)
    } ms`,
  );
}

if (import.meta.main) {
  await benchResume();
  await benchCommitOverhead();
  await benchInputDigests();
}
