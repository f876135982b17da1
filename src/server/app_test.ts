import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { testStepKinds } from "../steps/testing.ts";
import { createRun, executeRun } from "../workflow/engine.ts";
import { LocalArrayScheduler } from "../workflow/executor/testing.ts";
import { parseWorkflow } from "../workflow/spec.ts";
import { RunStore } from "../workflow/store.ts";
import { createApp } from "./app.ts";
import type { SelfCorrectionRow } from "./schemas.ts";
import { type ChainRuns, finishedChainRun, finishedSelfCorrectRun } from "./testing.ts";

const TOKEN = "s3cret-token";
/** The test entry point (production commands plus `test.work`), which shards of test runs execute. */
const TEST_ENTRY = fileURLToPath(new URL("../../tests/fixtures/pipeline.ts", import.meta.url));

/** One finished chain run with training-like metrics on step `second`, shared by the tests of this file. */
async function withRuns(fn: (runs: ChainRuns) => Promise<void>): Promise<void> {
  const runs = await finishedChainRun();
  runs.store.addMetrics(
    [0, 1, 2, 3].flatMap((step) => [
      { run_id: runs.runId, step_id: "second", name: "reward_t1", step, value: 0.1 * step },
      { run_id: runs.runId, step_id: "second", name: "reward_t2", step, value: 0.2 * step },
      { run_id: runs.runId, step_id: "second", name: "kl", step, value: 0.01 },
    ]),
  );
  runs.store.addMetrics([
    { run_id: runs.runId, step_id: "last", name: "eval/accuracy_t1", step: 0, value: 0.5 },
    { run_id: runs.runId, step_id: "last", name: "eval/accuracy_t2", step: 0, value: 0.6 },
  ]);
  try {
    await fn(runs);
  } finally {
    await runs.cleanup();
  }
}

function loopbackApp(runsDir: string, token?: string) {
  return createApp({ runsDir, token, tokenForReads: false, events: { pollMs: 20 } });
}

async function getJson(
  app: { request: (p: string, i?: RequestInit) => Response | Promise<Response> },
  path: string,
) {
  const response = await app.request(path);
  return { status: response.status, body: await response.json() };
}

Deno.test("GET /healthz answers without a store and without a token", async () => {
  const dir = await Deno.makeTempDir();
  const { app, reader } = createApp({ runsDir: dir, token: TOKEN, tokenForReads: true });
  const { status, body } = await getJson(app, "/healthz");
  assert.equal(status, 200);
  assert.deepEqual(body, { status: "ok", store: false });
  const runs = await app.request("/api/runs", { headers: { Authorization: `Bearer ${TOKEN}` } });
  assert.deepEqual(await runs.json(), { runs: [] });
  reader.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("run routes: list, detail, step, records, metric series", async () => {
  await withRuns(async ({ runsDir, runId }) => {
    const { app, reader } = loopbackApp(runsDir);
    const list = await getJson(app, "/api/runs");
    assert.equal(list.status, 200);
    assert.equal(list.body.runs.length, 1);
    assert.deepEqual(list.body.runs[0].steps, { total: 4, pending: 0, running: 0, finished: 4, failed: 0 });

    const detail = await getJson(app, `/api/runs/${runId}`);
    assert.equal(detail.status, 200);
    assert.equal(detail.body.status, "done");
    const byId = Object.fromEntries(detail.body.stepList.map((s: { id: string }) => [s.id, s]));
    assert.deepEqual(byId.last.needs, ["second", "side"]);
    assert.equal(byId.first.itemsDone, 40);
    assert.deepEqual(byId.first.outputs.map((o: { name: string }) => o.name), ["results"]);
    assert.deepEqual(byId.second.metrics.reward_t2, { step: 3, value: 0.6000000000000001 });
    assert.ok(detail.body.lastEventId > 0);

    const step = await getJson(app, `/api/runs/${runId}/steps/side`);
    assert.equal(step.status, 200);
    assert.equal(step.body.itemsDone, 10);
    assert.equal(step.body.runId, runId);

    const page = await getJson(app, `/api/runs/${runId}/steps/first/records?offset=38&limit=5`);
    assert.equal(page.status, 200);
    assert.equal(page.body.total, 40);
    assert.deepEqual(page.body.records.map((r: { item: number }) => r.item), [38, 39]);
    const first = await getJson(app, `/api/runs/${runId}/steps/first/records?output=results`);
    assert.equal(first.body.records.length, 40);
    assert.equal(first.body.records[0].item, 0);

    const series = await getJson(app, `/api/runs/${runId}/metrics?points=2`);
    const reward = series.body.series.find((s: { name: string }) => s.name === "reward_t1");
    assert.deepEqual(reward.points, [[0, 0], [3, 0.30000000000000004]]);
    const kl = series.body.series.find((s: { name: string }) => s.name === "kl");
    assert.deepEqual([kl.group, kl.info.family, kl.info.direction], ["second", "KL", "lower"]);
    assert.deepEqual(detail.body.selfCorrection.rows, [], "no complete evaluation in the chain run");
    assert.equal(detail.body.selfCorrection.columns.length, 5);
    assert.deepEqual([byId.first.group, byId.first.matrix], ["first", {}]);
    reader.close();
  });
});

Deno.test("ids are validated: traversal, injection and unknown ids", async () => {
  await withRuns(async ({ runsDir, runId }) => {
    const { app, reader } = loopbackApp(runsDir, TOKEN);
    for (
      const path of [
        "/api/runs/..%2F..%2Fetc",
        "/api/runs/x'%20OR%20'1'%3D'1",
        `/api/runs/${runId}/steps/..%2Fsecond`,
        `/api/runs/${runId}/steps/1abc`,
        "/api/runs/.hidden/events",
        "/api/runs/a..b/cancel",
      ]
    ) {
      const method = path.endsWith("cancel") ? "POST" : "GET";
      const response = await app.request(path, { method, headers: { Authorization: `Bearer ${TOKEN}` } });
      assert.equal(response.status, 400, path);
      assert.match((await response.json()).error, /./);
    }
    assert.equal((await app.request("/api/runs/no-such-run")).status, 404);
    assert.equal((await app.request(`/api/runs/${runId}/steps/nosuch`)).status, 404);
    assert.equal((await app.request(`/api/runs/${runId}/steps/nosuch/records`)).status, 404);
    assert.equal((await app.request("/api/runs/no-such-run/events")).status, 404);
    assert.equal((await app.request("/api/nothing")).status, 404);
    reader.close();
  });
});

Deno.test("malformed queries answer 400 with the problem", async () => {
  await withRuns(async ({ runsDir, runId }) => {
    const { app, reader } = loopbackApp(runsDir);
    const base = `/api/runs/${runId}/steps/first/records`;
    for (
      const query of [
        "offset=-1",
        "limit=0",
        "limit=501",
        "limit=abc",
        "offset=1.5",
        "extra=1",
        "output=../x",
      ]
    ) {
      const response = await app.request(`${base}?${query}`);
      assert.equal(response.status, 400, query);
      assert.match((await response.json()).error, /^query/);
    }
    assert.equal((await app.request(`${base}?output=nope`)).status, 404);
    assert.equal((await app.request(`/api/runs/${runId}/metrics?points=1`)).status, 400);
    assert.equal((await app.request(`/api/runs/${runId}/events?after=x`)).status, 400);
    const badLastId = await app.request(`/api/runs/${runId}/events`, { headers: { "Last-Event-ID": "1;2" } });
    assert.equal(badLastId.status, 400);
    reader.close();
  });
});

/** Reads server-sent events from a response until `count` events arrived. */
async function readEvents(response: Response, count: number): Promise<{ id: number; type: string }[]> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: { id: number; type: string }[] = [];
  let buffer = "";
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0 && events.length < count) {
      const data = buffer.slice(0, end).split("\n").find((line) => line.startsWith("data:"));
      buffer = buffer.slice(end + 2);
      if (data) events.push(JSON.parse(data.slice(5)));
    }
  }
  await reader.cancel();
  return events;
}

Deno.test("events: replay, Last-Event-ID resume and live events", async () => {
  await withRuns(async ({ runsDir, runId, store }) => {
    const { app, reader } = loopbackApp(runsDir);
    const all = await readEvents(await app.request(`/api/runs/${runId}/events?after=0`), 3);
    assert.equal(all[0].type, "run.created");
    assert.deepEqual(all.map((e) => e.id), [all[0].id, all[0].id + 1, all[0].id + 2]);

    const resumed = await app.request(`/api/runs/${runId}/events?after=0`, {
      headers: { "Last-Event-ID": String(all[1].id) },
    });
    assert.equal(resumed.headers.get("content-type"), "text/event-stream");
    assert.equal((await readEvents(resumed, 1))[0].id, all[2].id);

    const live = await app.request(`/api/runs/${runId}/events`);
    setTimeout(() => store.addEvent(runId, "second", "metrics", { points: [] }), 50);
    const [event] = await readEvents(live, 1);
    assert.equal(event.type, "metrics");
    assert.equal(event.id, store.lastEventId(runId));
    reader.close();
  });
});

Deno.test("GET /metrics exports steps and recorded metrics in Prometheus text", async () => {
  await withRuns(async ({ runsDir, runId }) => {
    const { app, reader } = loopbackApp(runsDir);
    const response = await app.request("/metrics");
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    assert.match(text, new RegExp(`pipeline_step_items_processed\\{run="${runId}",step="first"\\} 40\\n`));
    assert.match(
      text,
      new RegExp(`pipeline_metric\\{run="${runId}",step="second",name="reward_t2"\\} 0\\.6`),
    );
    assert.match(text, /# TYPE pipeline_step_duration_seconds gauge/);
    assert.match(text, new RegExp(`pipeline_step_state\\{run="${runId}",step="last",state="done"\\} 1`));
    reader.close();
  });
});

Deno.test("tokens: reads need one off loopback, actions always, healthz never", async () => {
  await withRuns(async ({ runsDir, runId }) => {
    const exposed = createApp({ runsDir, token: TOKEN, tokenForReads: true });
    const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });
    assert.equal((await exposed.app.request("/api/runs")).status, 401);
    assert.equal((await exposed.app.request("/metrics")).status, 401);
    assert.equal((await exposed.app.request(`/api/runs/${runId}/events`)).status, 401);
    assert.equal((await exposed.app.request("/api/openapi.json")).status, 401);
    assert.equal((await exposed.app.request("/api/runs", bearer("wrong"))).status, 401);
    assert.equal((await exposed.app.request("/api/runs", bearer(TOKEN))).status, 200);
    assert.equal((await exposed.app.request("/healthz")).status, 200);
    const missing = await exposed.app.request(`/api/runs/${runId}/cancel`, { method: "POST" });
    assert.equal(missing.status, 401);
    assert.equal(missing.headers.get("www-authenticate"), 'Bearer realm="pipeline"');
    exposed.reader.close();

    const local = loopbackApp(runsDir);
    assert.equal((await local.app.request("/api/runs")).status, 200);
    const disabled = await local.app.request(`/api/runs/${runId}/resume`, { method: "POST" });
    assert.equal(disabled.status, 403);
    assert.match((await disabled.json()).error, /--token/);
    const rebinding = await local.app.request("/api/runs", { headers: { Host: "evil.example:8787" } });
    assert.equal(rebinding.status, 403);
    assert.equal((await local.app.request("/api/runs", { headers: { Host: "localhost:8787" } })).status, 200);
    local.reader.close();
  });
});

Deno.test("actions check the run's state", async () => {
  await withRuns(async ({ runsDir, runId }) => {
    const { app, reader } = loopbackApp(runsDir, TOKEN);
    const post = (path: string) =>
      app.request(path, { method: "POST", headers: { Authorization: `Bearer ${TOKEN}` } });
    const cancel = await post(`/api/runs/${runId}/cancel`);
    assert.equal(cancel.status, 409);
    assert.match((await cancel.json()).error, /is done, not running/);
    assert.equal((await post(`/api/runs/${runId}/resume`)).status, 409);
    assert.equal((await post("/api/runs/missing-run/resume")).status, 404);
    assert.equal((await post(`/api/runs/${runId}/resume?x=1`)).status, 400);
    reader.close();
  });
});

Deno.test("the OpenAPI document describes every route from the zod schemas", async () => {
  const dir = await Deno.makeTempDir();
  const { app, reader } = createApp({ runsDir: dir, tokenForReads: false });
  const { status, body } = await getJson(app, "/api/openapi.json");
  assert.equal(status, 200);
  assert.equal(body.openapi, "3.0.3");
  assert.deepEqual(Object.keys(body.paths).sort(), [
    "/api/runs",
    "/api/runs/{id}",
    "/api/runs/{id}/cancel",
    "/api/runs/{id}/events",
    "/api/runs/{id}/metrics",
    "/api/runs/{id}/resume",
    "/api/runs/{id}/steps/{step}",
    "/api/runs/{id}/steps/{step}/records",
    "/healthz",
    "/metrics",
  ]);
  const records = body.paths["/api/runs/{id}/steps/{step}/records"].get;
  assert.deepEqual(records.parameters.map((p: { name: string }) => p.name), [
    "id",
    "step",
    "offset",
    "limit",
    "output",
  ]);
  assert.equal(records.responses["200"].content["application/json"].schema.properties.total.type, "integer");
  assert.deepEqual(body.paths["/api/runs/{id}/cancel"].post.security, [{ bearer: [] }]);
  reader.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("the dashboard and its assets are served by the app", async () => {
  const dir = await Deno.makeTempDir();
  const { app, reader } = createApp({ runsDir: dir, tokenForReads: false });
  const page = await app.request("/");
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-security-policy")!, /default-src 'self'/);
  assert.match(await page.text(), /<script type="module" src="\/assets\/main.js"/);
  // every module the entry point imports, directly or not, is served too
  const pending = ["main.js"];
  const served = new Set<string>();
  while (pending.length) {
    const name = pending.pop()!;
    if (served.has(name)) continue;
    const script = await app.request(`/assets/${name}`);
    assert.equal(script.status, 200, name);
    assert.match(script.headers.get("content-type")!, /^text\/javascript/);
    served.add(name);
    for (const [, imported] of (await script.text()).matchAll(/^import .* from "\.\/([\w-]+\.js)";$/gm)) {
      pending.push(imported);
    }
  }
  assert.deepEqual([...served].sort(), [
    "api.js",
    "charts.js",
    "dom.js",
    "format.js",
    "graph.js",
    "main.js",
    "records.js",
    "tables.js",
  ]);
  assert.equal((await app.request("/assets/dashboard.css")).status, 200);
  assert.equal((await app.request("/assets/format_test.ts")).status, 404, "tests are not served");
  assert.equal((await app.request("/assets/..%2Fapp.ts")).status, 404);
  reader.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a matrix run: instances grouped, needs of the declared step, the self-correction table", async () => {
  const runs = await finishedSelfCorrectRun();
  const { app, reader } = loopbackApp(runs.runsDir);
  try {
    const detail = await getJson(app, `/api/runs/${runs.runId}`);
    assert.equal(detail.status, 200);
    const byId = Object.fromEntries(detail.body.stepList.map((s: { id: string }) => [s.id, s]));
    assert.deepEqual(
      [byId["stage2[seed=1]"].group, byId["stage2[seed=1]"].matrix, byId["stage2[seed=1]"].needs],
      ["stage2", { seed: "1" }, ["stage1[seed=1]", "base", "train"]],
    );
    const rows = detail.body.selfCorrection.rows as SelfCorrectionRow[];
    assert.deepEqual(rows.map((r) => [r.method, r.step, r.instances.length, r.evaluation]), [
      ["base", "eval_base", 1, true],
      ["self_refine", "eval_self_refine", 1, true],
      ["star", "eval_star", 1, true],
      ["pair_sft", "eval_pair_sft", 1, true],
      ["score", "eval_score", 2, true],
      ["rollouts/base", "base_rollouts", 1, false],
    ]);
    assert.deepEqual(rows[0].instances[0].values, {
      accuracyT1: 0.42,
      accuracyT2: 0.325,
      delta: -0.095,
      incorrectToCorrect: 0.03,
      correctToIncorrect: 0.125,
    });
    assert.equal(rows[4].mean!.accuracyT1, (0.39 + 0.4) / 2);
    const step = await getJson(app, `/api/runs/${runs.runId}/steps/${encodeURIComponent("stage1[seed=0]")}`);
    assert.equal(step.status, 200, JSON.stringify(step.body));
    assert.equal(step.body.id, "stage1[seed=0]");
    const bad = await getJson(app, `/api/runs/${runs.runId}/steps/${encodeURIComponent("stage1[seed=0")}`);
    assert.equal(bad.status, 400);
  } finally {
    reader.close();
    await runs.cleanup();
  }
});

Deno.test("a step run on Slurm lists its shards (state, node, items, requeues) in the run's detail", async () => {
  const runsDir = await Deno.makeTempDir({ prefix: "server_shards_" });
  const store = new RunStore(`${runsDir}/pipeline.db`);
  const source = `name: sharded
executor: { type: slurm, shards: 2, poll_interval: 50ms }
steps:
  - id: work
    uses: test.work
    with: { items: 9 }
`;
  const workflow = parseWorkflow(source, "sharded.yaml", testStepKinds);
  const options = { store, workflow, params: {}, runId: "s", runDir: `${runsDir}/s`, entry: TEST_ENTRY };
  await createRun(options);
  const scheduler = new LocalArrayScheduler();
  try {
    assert.equal(await executeRun({ ...options, scheduler }), "done");
  } finally {
    await scheduler.close();
  }
  const { status, body } = await getJson(loopbackApp(runsDir).app, "/api/runs/s");
  assert.equal(status, 200);
  const shards = body.stepList[0].shards.map((
    s: { index: number; state: string; node: string; first: number; end: number; itemsDone: number },
  ) => [s.index, s.state, s.node, s.first, s.end, s.itemsDone]);
  assert.deepEqual(shards, [[0, "done", "local", 0, 4, 4], [1, "done", "local", 4, 9, 5]]);
  store.close();
  await Deno.remove(runsDir, { recursive: true });
});
