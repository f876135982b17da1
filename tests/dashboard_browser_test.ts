/**
 * Opens the dashboard in headless Chromium (Debian's `chromium`, driven by playwright-core):
 *
 * - while a slow run of the chain fixture executes in a subprocess, a progress bar advances and a step
 *   changes state, live;
 * - on a finished run of the self-correction fixture (score.yaml's shape, SCoRe over two seeds), behind a
 *   token: the methods × metrics table and its cells, the charts the API's metric families give, a step graph
 *   that fits its panel, and listeners added once however often the token is submitted. It takes a
 *   screenshot of the page and of the table (the paths are printed; DASHBOARD_SCREENSHOT=path.png sets the
 *   page's).
 *
 * Needs /usr/bin/chromium (`apt-get install -y chromium`); skipped with a message when it is missing.
 */
/// <reference lib="dom" />
import assert from "node:assert/strict";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { createApp } from "../src/server/app.ts";
import { startServer } from "../src/server/serve.ts";
import { finishedSelfCorrectRun } from "../src/server/testing.ts";
import { RunStore } from "../src/workflow/store.ts";
import { spawnChainRun } from "./fixtures/chain.ts";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const hasChromium = await Deno.stat(CHROMIUM).then(() => true, () => false);
if (!hasChromium) {
  console.error(`skipping the dashboard browser test: ${CHROMIUM} is missing (apt-get install chromium)`);
}

async function waitForRun(runsDir: string, runId: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const exists = await Deno.stat(`${runsDir}/pipeline.db`).then(() => true, () => false);
    if (exists) {
      const store = new RunStore(`${runsDir}/pipeline.db`, { readOnly: true });
      const found = store.getRun(runId) !== undefined;
      store.close();
      if (found) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`run ${runId} did not appear in ${runsDir}`);
}

async function poll(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

Deno.test({
  name: "dashboard: a live run's progress bar advances and a step changes state",
  ignore: !hasChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const runsDir = await Deno.makeTempDir({ prefix: "dashboard_runs_" });
    const profile = await Deno.makeTempDir({ prefix: "dashboard_chromium_" });
    const runId = "chain-browser";
    const pipeline = spawnChainRun(runsDir, runId, { set: { items: 60, work_ms: 80 } });
    const server = startServer({ runsDir, port: 0, pollMs: 100 });
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
    });
    try {
      await waitForRun(runsDir, runId);
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      await page.goto(`${server.url}/#run=${runId}`);
      const second = page.locator('tr[data-step="second"]');
      await second.waitFor();
      const firstBar = page.locator('tr[data-step="first"] .bar');
      const readDone = async () => Number(await firstBar.getAttribute("data-done") ?? "0");
      assert.equal(
        await second.getAttribute("data-status"),
        "pending",
        "open the page before 'second' starts",
      );
      const before = await readDone();
      await poll("the first step's bar to advance", async () => await readDone() > before);
      assert.ok(await readDone() > before);
      await page.waitForSelector('tr[data-step="second"][data-status="running"]', { timeout: 20_000 });
      const width = await page.locator('tr[data-step="first"] .bar span').evaluate((el) => el.style.width);
      assert.equal(width, "100%", "'first' finished, so its bar is full");
      assert.equal(await page.locator("#live").textContent(), "live");
      const screenshot = Deno.env.get("DASHBOARD_SCREENSHOT");
      if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
      await server.close();
      try {
        pipeline.kill("SIGTERM");
      } catch {
        // already ended
      }
      await pipeline.status;
      await Deno.remove(runsDir, { recursive: true });
      await Deno.remove(profile, { recursive: true });
    }
  },
});

/** The rows of the self-correction table as text: method, step, the five metrics and n. */
function readTable(page: import("playwright-core").Page, body: string): Promise<string[][]> {
  return page.locator(`table.eval ${body} tr[data-method]`).evaluateAll((rows) =>
    rows.map((row) => [...row.children].map((cell) => (cell.textContent ?? "").trim()))
  );
}

Deno.test({
  name: "dashboard: the self-correction table, charts by metric family, a graph that fits, listeners once",
  ignore: !hasChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const runs = await finishedSelfCorrectRun();
    const token = "browser-test-token";
    const { app, reader } = createApp({ runsDir: runs.runsDir, token, tokenForReads: true });
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
    const profile = await Deno.makeTempDir({ prefix: "dashboard_chromium_" });
    const shots = await Deno.makeTempDir({ prefix: "dashboard_screenshot_" });
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
    });
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      await page.addInitScript(() => {
        const counts: Record<string, number> = {};
        (globalThis as unknown as { listenerCounts: Record<string, number> }).listenerCounts = counts;
        const add = EventTarget.prototype.addEventListener;
        EventTarget.prototype.addEventListener = function (type, listener, options) {
          const target = this === globalThis ? "window" : (this as Element).id ?? "";
          if (target) counts[`${target}:${type}`] = (counts[`${target}:${type}`] ?? 0) + 1;
          return add.call(this, type, listener, options);
        };
      });
      await page.goto(`http://127.0.0.1:${server.addr.port}/#run=${runs.runId}`);
      await page.locator("#token-form").waitFor({ state: "visible" });
      await page.fill("#token", token);
      await page.click("#token-form button");
      await page.locator("table.eval").waitFor();
      for (let i = 0; i < 2; i++) {
        await page.evaluate(() => (document.getElementById("token-form") as HTMLFormElement).requestSubmit());
      }
      await page.locator('table.eval tr[data-method="base"]').waitFor();
      const counts = await page.evaluate(() =>
        (globalThis as unknown as { listenerCounts: Record<string, number> }).listenerCounts
      );
      assert.equal(counts["token-form:submit"], 1, "submitting the token three times adds no listener");
      assert.equal(counts["window:hashchange"], 1);

      assert.deepEqual(
        await page.locator("table.eval thead th").allTextContents(),
        ["Method", "Step", "Accuracy@t1 ↑", "Accuracy@t2 ↑", "Δ(t1,t2) ↑", "Δ i→c ↑", "Δ c→i ↓", "n"],
      );
      assert.deepEqual(await readTable(page, "tbody:not(.others)"), [
        ["base", "eval_base", "42.0", "32.5", "−9.5", "3.0", "12.5", "200"],
        ["self_refine", "eval_self_refine", "42.0", "11.0", "−31.0", "2.0", "33.0", "200"],
        ["star", "eval_star", "27.5", "21.0", "−6.5", "3.5", "10.0", "200"],
        ["pair_sft", "eval_pair_sft", "23.5", "17.0", "−6.5", "6.5", "13.0", "200"],
        ["score mean of 2", "eval_score ×2", "39.5", "33.0", "−6.5", "7.0", "13.5", "200"],
        ["seed=0", "eval_score[seed=0]", "39.0", "31.0", "−8.0", "6.5", "14.5", "200"],
        ["seed=1", "eval_score[seed=1]", "40.0", "35.0", "−5.0", "7.5", "12.5", "200"],
      ]);
      assert.deepEqual(await readTable(page, "tbody.others"), [
        ["rollouts/base", "base_rollouts", "30.0", "25.0", "−5.0", "5.0", "10.0", "200"],
      ]);
      const classes = (method: string, column: string) =>
        page.locator(`table.eval tr[data-method="${method}"]:not(.instance) td[data-column="${column}"]`)
          .getAttribute("class");
      assert.match((await classes("base", "accuracyT1"))!, /\bbest\b/, "the best Accuracy@t1 is marked");
      assert.match((await classes("star", "correctToIncorrect"))!, /\bbest\b/, "the lowest Δ c→i is best");
      assert.match((await classes("base", "delta"))!, /\bworse\b/);

      const rates = await page.locator("table.steps td.rate").allTextContents();
      assert.ok(rates.some((r) => r !== ""), "finished steps show their rate");
      for (const text of rates) {
        // three significant digits at most (`66.7k/s`, `5.03/s`, `1,250/s`), never `66666.67/s`
        assert.match(
          text,
          /^$|^(\d{1,3}(,\d{3})*|\d\.\d{1,2}|\d\d\.\d)[kMG]?\/(s|min|h)$/,
          `readable rate: ${text}`,
        );
      }

      const graph = await page.locator("#graph").evaluate((host) => {
        const svg = host.querySelector("svg")!.getBoundingClientRect();
        const nodes = [...host.querySelectorAll("g.node")].map((node) => node.getBoundingClientRect());
        return {
          host: host.getBoundingClientRect().width,
          svg: svg.width,
          inside: nodes.every((box) => box.left >= svg.left - 0.5 && box.right <= svg.right + 0.5),
          nodes: nodes.length,
          page: document.documentElement.scrollWidth <= document.documentElement.clientWidth,
        };
      });
      assert.ok(graph.svg <= graph.host + 0.5, `the graph (${graph.svg}px) fits its panel (${graph.host}px)`);
      assert.ok(graph.inside && graph.page, "no node and nothing on the page overflows sideways");
      assert.equal(graph.nodes, 19, "one node per declared step");
      const stage1 = page.locator('g.node[data-group="stage1"]');
      assert.equal(await stage1.getAttribute("data-instances"), "2");
      assert.match((await stage1.textContent())!, /stage1 ×2.*done · 2\/2 instances/);

      const reward = page.locator('.chart-group[data-group="stage1"] figure[data-family="reward"]');
      assert.match((await reward.locator("figcaption").textContent())!, /reward · higher is better/);
      assert.deepEqual(
        (await reward.locator(".legend span").allTextContents()).map((t) => t.replace(/ [\d.]+$/, "")),
        ["attempt 1 · seed=0", "attempt 2 · seed=0", "attempt 1 · seed=1", "attempt 2 · seed=1"],
      );
      const kl = page.locator('.chart-group[data-group="stage2"] figure[data-family="KL"] figcaption');
      assert.match((await kl.textContent())!, /lower is better/);
      assert.equal(await page.locator('figure[data-family="self-correction"]').count(), 0, "table metrics");
      const throughput = page.locator('.chart-group[data-group="stage1"] figure[data-family="throughput"]');
      assert.match((await throughput.locator(".legend b").first().textContent())!, /^1,457\/s$/);

      const pagePath = Deno.env.get("DASHBOARD_SCREENSHOT") ?? join(shots, "dashboard.png");
      await page.screenshot({ path: pagePath, fullPage: true });
      const tablePath = join(shots, "self-correction-table.png");
      await page.locator("#eval-card").screenshot({ path: tablePath });
      console.log(`dashboard screenshots: ${pagePath} (page), ${tablePath} (self-correction table)`);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
      await server.shutdown();
      reader.close();
      await runs.cleanup();
      await Deno.remove(profile, { recursive: true });
    }
  },
});
