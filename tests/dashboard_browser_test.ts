/**
 * Opens the dashboard in headless Chromium (Debian's `chromium`, driven by playwright-core) while a slow run
 * of the chain fixture executes in a subprocess, and checks that a progress bar advances and that a step
 * changes state, live. Set DASHBOARD_SCREENSHOT=path.png to keep a screenshot.
 *
 * Needs /usr/bin/chromium (`apt-get install -y chromium`); skipped with a message when it is missing.
 */
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { startServer } from "../src/server/serve.ts";
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
