import assert from "node:assert/strict";
import { createApp } from "./app.ts";
import { CLI, spawnChainRun } from "../../tests/fixtures/chain.ts";

const TOKEN = "actions-token";

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

Deno.test("cancel stops a live run gracefully and resume finishes it", async () => {
  const runsDir = await Deno.makeTempDir({ prefix: "server_actions_" });
  const runId = "chain-live";
  const pipeline = spawnChainRun(runsDir, runId, { set: { work_ms: 40 } });
  const { app, reader } = createApp({ runsDir, token: TOKEN, tokenForReads: false, pipelineEntry: CLI });
  const post = (action: string) =>
    app.request(`/api/runs/${runId}/${action}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
  try {
    await waitFor("the first items", () => {
      const first = reader.hasStore() && reader.getRunOrUndefined(runId)
        ? reader.runDetail(runId).stepList[0]
        : undefined;
      return first && first.itemsDone > 0 ? first : undefined;
    });
    const cancel = await post("cancel");
    assert.equal(cancel.status, 202);
    assert.equal((await cancel.json()).pid, pipeline.pid);
    assert.equal((await pipeline.status).code, 130);
    const stopped = reader.runDetail(runId);
    assert.equal(stopped.status, "interrupted");
    assert.ok(stopped.stepList.some((s) => s.status === "interrupted"));

    const resume = await post("resume");
    assert.equal(resume.status, 202);
    const done = await waitFor("the resumed run to finish", () => {
      const run = reader.runDetail(runId);
      return run.status === "done" ? run : undefined;
    });
    assert.deepEqual(done.stepList.map((s) => s.itemsDone), [40, 40, 10, 5]);
  } finally {
    reader.close();
    try {
      pipeline.kill("SIGKILL");
    } catch {
      // already ended
    }
    await pipeline.status;
    await Deno.remove(runsDir, { recursive: true });
  }
});
