/**
 * Benchmark of the status server under load while a pipeline runs.
 *
 * Times the chain fixture (tests/fixtures/chain.yaml, `test.work` steps) alone, then again while a separate
 * `serve` process answers waves of 1,000 concurrent API requests (on 127.0.0.1 only) until the run ends.
 * Prints the error count, p50/p99 latency, and the pipeline's slowdown while watched. Baseline and loaded
 * runs alternate `--pairs` times; the run time is the store's (created -> last update), without Deno's
 * start-up.
 *
 * Usage: deno run -A bench/server.ts [--pairs 2] [--concurrency 1000] [--items 120] [--work-ms 20]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { RunStore } from "../src/workflow/store.ts";
import { spawnChainRun } from "../tests/fixtures/chain.ts";

const SERVER_CLI = new URL("../src/server/cli.ts", import.meta.url).pathname;
/** Upper bound on the requests of one loaded run, whatever its length. */
const MAX_REQUESTS = 50_000;

interface Load {
  latencies: number[];
  errors: number;
  firstError?: string;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function runPipeline(runsDir: string, runId: string, items: number, workMs: number): Deno.ChildProcess {
  return spawnChainRun(runsDir, runId, { set: { items, work_ms: workMs }, flags: ["--force"] });
}

/** The run's own duration in ms, from the store. */
function runMillis(runsDir: string, runId: string): number {
  const store = new RunStore(`${runsDir}/pipeline.db`, { readOnly: true });
  try {
    const run = store.getRun(runId);
    if (!run || run.status !== "done") {
      throw new Error(`bench run ${runId} ended ${run?.status ?? "missing"}`);
    }
    return run.updated - run.created;
  } finally {
    store.close();
  }
}

async function waitForRun(runsDir: string, runId: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      const store = new RunStore(`${runsDir}/pipeline.db`, { readOnly: true });
      const found = store.getRun(runId) !== undefined;
      store.close();
      if (found) return;
    } catch {
      // not created yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`run ${runId} did not start`);
}

async function startServer(runsDir: string, port: number): Promise<Deno.ChildProcess> {
  const server = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SERVER_CLI, "--runs-dir", runsDir, "--port", String(port)],
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.body?.cancel().then(() => r.ok),
      () => false,
    );
    if (ok) return server;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("the server did not start");
}

/** Fires waves of `concurrency` simultaneous requests until `done` resolves. */
async function load(base: string, runId: string, concurrency: number, done: Promise<unknown>): Promise<Load> {
  const paths = [
    "/api/runs",
    `/api/runs/${runId}`,
    `/api/runs/${runId}/steps/first`,
    `/api/runs/${runId}/steps/first/records?offset=0&limit=50`,
    `/api/runs/${runId}/metrics`,
    "/metrics",
  ];
  const result: Load = { latencies: [], errors: 0 };
  let finished = false;
  done.then(() => (finished = true));
  let sent = 0;
  while (!finished && sent < MAX_REQUESTS) {
    const wave = Array.from({ length: concurrency }, async (_, i) => {
      const started = performance.now();
      try {
        const response = await fetch(`${base}${paths[(sent + i) % paths.length]}`);
        await response.arrayBuffer();
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        result.latencies.push(performance.now() - started);
      } catch (error) {
        result.errors++;
        result.firstError ??= (error as Error).message;
      }
    });
    sent += concurrency;
    await Promise.all(wave);
  }
  return result;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      pairs: { type: "string", default: "2" },
      concurrency: { type: "string", default: "1000" },
      items: { type: "string", default: "120" },
      "work-ms": { type: "string", default: "20" },
      port: { type: "string", default: "18787" },
    },
  });
  const [pairs, concurrency, items, workMs, port] = [
    values.pairs,
    values.concurrency,
    values.items,
    values["work-ms"],
    values.port,
  ]
    .map(Number);
  const runsDir = await Deno.makeTempDir({ prefix: "bench_server_" });
  const server = await startServer(runsDir, port);
  const base = `http://127.0.0.1:${port}`;
  const baseline: number[] = [];
  const loaded: number[] = [];
  const all: Load = { latencies: [], errors: 0 };
  try {
    for (let pair = 0; pair < pairs; pair++) {
      const quietId = `quiet-${pair}`;
      await runPipeline(runsDir, quietId, items, workMs).status;
      baseline.push(runMillis(runsDir, quietId));

      const busyId = `watched-${pair}`;
      const pipeline = runPipeline(runsDir, busyId, items, workMs);
      await waitForRun(runsDir, busyId);
      const result = await load(base, busyId, concurrency, pipeline.status);
      await pipeline.status;
      loaded.push(runMillis(runsDir, busyId));
      all.latencies.push(...result.latencies);
      all.errors += result.errors;
      all.firstError ??= result.firstError;
    }
  } finally {
    server.kill("SIGTERM");
    await server.status;
    await Deno.remove(runsDir, { recursive: true });
  }
  const sorted = all.latencies.sort((a, b) => a - b);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const slowdown = (mean(loaded) / mean(baseline) - 1) * 100;
  console.log(
    `chain fixture: items=${items} work_ms=${workMs}; ${pairs} baseline/watched pairs; server in its own process`,
  );
  console.log(
    `requests: ${sorted.length + all.errors} in waves of ${concurrency} concurrent; errors: ${all.errors}${
      all.firstError ? ` (first: ${all.firstError})` : ""
    }`,
  );
  console.log(
    `latency: p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${
      sorted.at(-1)?.toFixed(1)
    } ms`,
  );
  console.log(
    `pipeline run time: alone ${baseline.map((ms) => (ms / 1000).toFixed(2)).join(", ")} s; watched ${
      loaded.map((ms) => (ms / 1000).toFixed(2)).join(", ")
    } s`,
  );
  console.log(`slowdown while watched: ${slowdown.toFixed(1)}% (target <= 5%)`);
}

if (import.meta.main) await main();
